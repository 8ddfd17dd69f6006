//! The system namespaces every app has (`$users`, `$files`, `$streams`, the auth and OAuth
//! tables), with the real server's deterministic attribute ids (platform spec §4.4), so cursors
//! and schema answers look like the real thing; and the names they reserve.

use uuid::Uuid;

use super::{Attr, DataType, Ident, ValueType};

const ALPHABET: &str = "abcdefghijklmnopqrstuvwxzy/";

/// Packs each character's index in [`ALPHABET`] as 5 bits, right-padded with 1 bits to 64.
fn encode(text: &str) -> u64 {
    let mut bits: u64 = 0;
    let mut used = 0u32;
    for ch in text.chars() {
        let index = ALPHABET.find(ch).unwrap_or(ALPHABET.len() - 1) as u64;
        if used + 5 > 64 {
            break;
        }
        bits = (bits << 5) | index;
        used += 5;
    }
    let pad = 64 - used;
    if pad == 64 {
        return u64::MAX;
    }
    (bits << pad) | ((1u64 << pad) - 1)
}

/// `system` + `kind` in the high half, `etype/label` codes in the low half.
fn system_uuid(kind: &str, etype_code: &str, label_code: &str) -> Uuid {
    let high = encode(&format!("system{kind}"));
    let low = encode(&format!("{etype_code}/{label_code}"));
    Uuid::from_u64_pair(high, low)
}

fn ident(etype: &str, etype_code: &str, label: &str, label_code: &str) -> Ident {
    Ident { id: system_uuid("id", etype_code, label_code), etype: etype.into(), label: label.into() }
}

fn system_blob(etype: &str, etype_code: &str, label: &str, label_code: &str) -> Attr {
    Attr {
        id: system_uuid("at", etype_code, label_code),
        forward: ident(etype, etype_code, label, label_code),
        system: true,
        ..Attr::blob(etype, label)
    }
}

fn system_link(etype: &str, etype_code: &str, label: &str, label_code: &str, reverse: Ident) -> Attr {
    Attr { reverse: Some(reverse), value_type: ValueType::Ref, ..system_blob(etype, etype_code, label, label_code) }
}

fn id_attr(etype: &str, etype_code: &str) -> Attr {
    Attr { unique: true, indexed: true, ..system_blob(etype, etype_code, "id", "id") }
}

fn typed(data_type: DataType, attr: Attr) -> Attr {
    Attr { checked_type: Some(data_type), ..attr }
}

fn unique_indexed(attr: Attr) -> Attr {
    Attr { unique: true, indexed: true, ..attr }
}

fn indexed(attr: Attr) -> Attr {
    Attr { indexed: true, ..attr }
}

/// The system catalog attributes of a fresh app: every attribute of the real server's catalog
/// (`system_catalog.clj` `all-attrs`), flags included, in its order. All of their names, forward
/// and reverse, are reserved ([`reserved_name`]).
pub fn attrs() -> Vec<Attr> {
    use DataType::{Boolean, Number, String};
    let blob = system_blob;
    let cascade = |attr: Attr| Attr { on_delete_cascade: true, ..attr };
    vec![
        // $users
        id_attr("$users", "us"),
        typed(String, unique_indexed(blob("$users", "us", "email", "email"))),
        typed(String, blob("$users", "us", "type", "type")),
        typed(String, blob("$users", "us", "imageURL", "imageurl")),
        cascade(system_link("$users", "us", "linkedPrimaryUser", "lpu", ident("$users", "us", "linkedGuestUsers", "lgu"))),
        // $magicCodes
        id_attr("$magicCodes", "mc"),
        typed(String, indexed(blob("$magicCodes", "mc", "codeHash", "codehash"))),
        typed(String, indexed(blob("$magicCodes", "mc", "email", "email"))),
        // $userRefreshTokens: deleting a user deletes their tokens.
        id_attr("$userRefreshTokens", "ur"),
        typed(String, unique_indexed(blob("$userRefreshTokens", "ur", "hashedToken", "hashedtok"))),
        cascade(indexed(system_link("$userRefreshTokens", "ur", "$user", "user", ident("$users", "us", "$userRefreshTokens", "ur")))),
        // $oauthProviders
        id_attr("$oauthProviders", "op"),
        typed(String, unique_indexed(blob("$oauthProviders", "op", "name", "name"))),
        // $oauthUserLinks. Its `$oauthProvider` has a reverse name but no `ref` value type on the
        // real server too.
        id_attr("$oauthUserLinks", "ol"),
        typed(String, indexed(blob("$oauthUserLinks", "ol", "sub", "sub"))),
        cascade(indexed(system_link("$oauthUserLinks", "ol", "$user", "user", ident("$users", "us", "$oauthUserLinks", "ol")))),
        Attr {
            reverse: Some(ident("$oauthProviders", "op", "$oauthUserLinks", "ol")),
            ..cascade(indexed(blob("$oauthUserLinks", "ol", "$oauthProvider", "oprovider")))
        },
        typed(String, unique_indexed(blob("$oauthUserLinks", "ol", "sub+$oauthProvider", "subprovid"))),
        // $oauthClients
        id_attr("$oauthClients", "oc"),
        cascade(system_link("$oauthClients", "oc", "$oauthProvider", "oprovider", ident("$oauthProviders", "op", "$oauthClients", "oc"))),
        typed(String, unique_indexed(blob("$oauthClients", "oc", "name", "name"))),
        indexed(blob("$oauthClients", "oc", "clientId", "clientid")),
        typed(String, blob("$oauthClients", "oc", "encryptedClientSecret", "encclisec")),
        typed(String, blob("$oauthClients", "oc", "discoveryEndpoint", "discovend")),
        blob("$oauthClients", "oc", "meta", "meta"),
        typed(String, blob("$oauthClients", "oc", "redirectTo", "redirecto")),
        typed(Boolean, blob("$oauthClients", "oc", "useSharedCredentials", "usesharcr")),
        // $oauthCodes
        id_attr("$oauthCodes", "co"),
        typed(String, unique_indexed(blob("$oauthCodes", "co", "codeHash", "codehash"))),
        typed(String, blob("$oauthCodes", "co", "codeChallengeMethod", "cchalmeth")),
        typed(String, blob("$oauthCodes", "co", "codeChallenge", "codechall")),
        blob("$oauthCodes", "co", "userInfo", "usernfo"),
        cascade(system_link("$oauthCodes", "co", "$oauthClient", "oauclient", ident("$oauthClients", "oc", "$oauthCodes", "co"))),
        // $oauthRedirects
        id_attr("$oauthRedirects", "or"),
        typed(String, unique_indexed(blob("$oauthRedirects", "or", "stateHash", "statehash"))),
        typed(String, blob("$oauthRedirects", "or", "cookieHash", "cookihash")),
        typed(String, blob("$oauthRedirects", "or", "redirectUrl", "redireurl")),
        typed(String, blob("$oauthRedirects", "or", "redirectTo", "redirecto")),
        cascade(system_link("$oauthRedirects", "or", "$oauthClient", "oauclient", ident("$oauthClients", "oc", "$oauthRedirects", "or"))),
        typed(String, blob("$oauthRedirects", "or", "codeChallengeMethod", "cchalmeth")),
        typed(String, blob("$oauthRedirects", "or", "codeChallenge", "codechall")),
        // $files
        id_attr("$files", "fi"),
        Attr { required: true, ..typed(String, unique_indexed(blob("$files", "fi", "path", "path"))) },
        Attr { required: true, ..typed(Number, indexed(blob("$files", "fi", "size", "size"))) },
        typed(String, indexed(blob("$files", "fi", "content-type", "ctype"))),
        typed(String, indexed(blob("$files", "fi", "content-disposition", "cdisp"))),
        Attr { required: true, ..typed(String, unique_indexed(blob("$files", "fi", "location-id", "lid"))) },
        typed(Number, blob("$files", "fi", "key-version", "kv")),
        typed(String, blob("$files", "fi", "url", "url")),
        // $streams: deleting a stream deletes its files.
        id_attr("$streams", "st"),
        Attr { required: true, ..typed(String, unique_indexed(blob("$streams", "st", "clientId", "clientid"))) },
        typed(String, blob("$streams", "st", "machineId", "machineid")),
        Attr {
            cardinality_one: false,
            unique: true,
            on_delete_reverse_cascade: true,
            ..system_link("$streams", "st", "$files", "fi", ident("$files", "fi", "$stream", "stream"))
        },
        typed(Boolean, blob("$streams", "st", "done", "done")),
        typed(Number, blob("$streams", "st", "size", "size")),
        typed(String, blob("$streams", "st", "hashedReconnectToken", "hashretok")),
        typed(String, blob("$streams", "st", "abortReason", "abrtreasn")),
    ]
}

/// Namespaces whose `$` the server lets apps add attributes to (`editable-etypes`).
pub const EDITABLE_ETYPES: [&str; 3] = ["$users", "$files", "$streams"];

/// Whether `(etype, label)` names a system catalog attribute on either side
/// (`reserved-ident-name?`): no app attribute may take it.
pub fn reserved_name(etype: &str, label: &str) -> bool {
    static NAMES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        attrs().into_iter().flat_map(|a| std::iter::once(a.forward).chain(a.reverse)).map(|ident| (ident.etype, ident.label)).collect()
    });
    names.iter().any(|(e, l)| e == etype && l == label)
}

/// Why an app may not give an attribute the name `(etype, label)`, as the server words it
/// (`validate-system-ident-names!`): a system column's name, or a new `$` namespace.
pub fn name_problem(etype: &str, label: &str) -> Option<String> {
    if reserved_name(etype, label) {
        return Some(format!("{etype}.{label} is a system column and it already exists."));
    }
    if etype.starts_with('$') && !EDITABLE_ETYPES.contains(&etype) {
        return Some(format!("$ is reserved for system tables. You can't create {etype}"));
    }
    None
}

/// The server refuses a required attribute on any `$` namespace (the database trigger
/// `prevent_required_on_reserved_attrs`, mapped in `translate-and-throw-psql-exception!`).
pub const REQUIRED_SYSTEM_ATTR: &str = "You can't create a required system attribute. Make sure it's optional. Check out the docs to learn more: https://www.instantdb.com/docs/modeling-data#required-constraints";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_the_real_server() {
        assert_eq!(system_uuid("at", "fi", "id").to_string(), "96653230-13ff-ffff-2a34-81ffffffffff");
        assert_eq!(system_uuid("id", "fi", "id").to_string(), "96653231-03ff-ffff-2a34-81ffffffffff");
        assert_eq!(system_uuid("at", "us", "email").to_string(), "96653230-13ff-ffff-a4b4-46010bffffff");
    }

    #[test]
    fn every_catalog_name_is_reserved() {
        assert!(reserved_name("$users", "email"));
        assert!(reserved_name("$users", "linkedGuestUsers"), "reverse names too");
        assert!(reserved_name("$files", "$stream"));
        assert!(reserved_name("$streams", "clientId"));
        assert!(!reserved_name("$users", "nickname"));
        assert_eq!(name_problem("$users", "email").as_deref(), Some("$users.email is a system column and it already exists."));
        assert_eq!(name_problem("$oauthClients", "name").as_deref(), Some("$oauthClients.name is a system column and it already exists."));
        assert_eq!(name_problem("$moop", "id").as_deref(), Some("$ is reserved for system tables. You can't create $moop"));
        assert_eq!(name_problem("$files", "caption"), None);
        let ids: std::collections::BTreeSet<Uuid> = attrs().iter().map(|a| a.id).collect();
        assert_eq!(ids.len(), attrs().len(), "attribute ids are distinct");
    }
}
