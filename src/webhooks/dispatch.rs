//! `processPayload`'s choice of handler for a record.

/// Where a record's handler is looked up, in order: `handlers[namespace][action]`, then
/// `handlers[namespace].$default`, then `handlers.$default` (`None` = the top level); the first
/// that exists takes the record, and a record none takes is skipped.
///
/// ```
/// use instant_edge::webhooks::dispatch::lookup_order;
/// assert_eq!(lookup_order("posts", "create"), [(Some("posts"), "create"), (Some("posts"), "$default"), (None, "$default")]);
/// ```
pub fn lookup_order<'a>(namespace: &'a str, action: &'a str) -> [(Option<&'a str>, &'a str); 3] {
    [(Some(namespace), action), (Some(namespace), DEFAULT), (None, DEFAULT)]
}

/// The catch-all key.
pub const DEFAULT: &str = "$default";
