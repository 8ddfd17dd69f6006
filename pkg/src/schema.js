// `i`, the schema builder of @instantdb/admin: the same calls give objects with the same public
// properties and the same JSON (key order included). Why it looks like this: ../HACKING.md.

class DataAttrDef {
  constructor(valueType, required, isIndexed, config = { indexed: false, unique: false }) {
    this.valueType = valueType;
    this.required = required;
    this.isIndexed = isIndexed;
    this.config = config;
    this.metadata = {};
  }

  optional() {
    return new DataAttrDef(this.valueType, false, this.isIndexed, this.config);
  }

  clientRequired() {
    return this.optional();
  }

  unique() {
    return new DataAttrDef(this.valueType, this.required, this.isIndexed, { ...this.config, unique: true });
  }

  indexed() {
    return new DataAttrDef(this.valueType, this.required, true, { ...this.config, indexed: true });
  }
}

class EntityDef {
  constructor(attrs, links) {
    this.attrs = attrs;
    this.links = links;
  }

  asType() {
    return new EntityDef(this.attrs, this.links);
  }
}

class InstantSchemaDef {
  constructor(entities, links, rooms) {
    this.entities = entities;
    this.links = links;
    this.rooms = rooms;
  }

  withRoomSchema() {
    return new InstantSchemaDef(this.entities, this.links, {});
  }
}

// Each entity anew, its `links` filled from both ends of every link: forward labels, then reverse.
const withLinks = (entities, links) => {
  const fwd = {};
  const rev = {};
  for (const { forward, reverse } of Object.values(links)) {
    (fwd[forward.on] ||= {})[forward.label] = { entityName: reverse.on, cardinality: forward.has };
    (rev[reverse.on] ||= {})[reverse.label] = { entityName: forward.on, cardinality: reverse.has };
  }
  return Object.fromEntries(
    Object.entries(entities).map(([name, def]) => [name, new EntityDef(def.attrs, { ...fwd[name], ...rev[name] })]),
  );
};

const attr = (valueType) => () => new DataAttrDef(valueType, true, false);

export const i = {
  graph: (entities, links) => new InstantSchemaDef(withLinks(entities, links), links),
  schema: ({ entities, links, rooms }) => {
    links ??= {};
    return new InstantSchemaDef(withLinks(entities, links), links, rooms ?? {});
  },
  entity: (attrs) => new EntityDef(attrs, {}),
  string: attr('string'),
  number: attr('number'),
  boolean: attr('boolean'),
  date: attr('date'),
  json: attr('json'),
  any: attr('json'),
};
