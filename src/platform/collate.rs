//! `a.localeCompare(b)` of the names the official client sorts (entities, attributes, ref
//! keys), so a plan lists its steps in the official order. Exact for ASCII, which is what
//! Instant names are made of: the root collation's order of characters (spaces and punctuation,
//! then symbols, `$`, digits, letters), letters compared without case first, then lowercase
//! before uppercase from the left. Other characters sort after ASCII by code point, where ICU
//! would weigh accents and scripts; only the order of such names can differ.

use crate::prelude::*;
use core::cmp::Ordering;

/// ASCII from space to `~` in the root collation's order (what `localeCompare` sorts them to),
/// upper case beside its lower case.
const ORDER: &[u8; 95] = b" _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ";

/// Where `c` sorts before case is considered.
fn primary(c: char) -> u32 {
    let folded = c.to_ascii_lowercase();
    match ORDER.iter().position(|b| char::from(*b) == folded) {
        Some(rank) => rank as u32,
        // Controls first, as ICU ignores most of them; anything else after ASCII.
        None if (c as u32) < 0x80 => 0,
        None => 0x100 + c as u32,
    }
}

/// `a.localeCompare(b)` (see the module's limits).
///
/// ```
/// use instant_edge::platform::collate::locale_compare;
/// let mut names = vec!["todos", "Todos", "_tmp", "$users", "10", "9", "to-do", "toDos"];
/// names.sort_by(|a, b| locale_compare(a, b));
/// assert_eq!(names, ["_tmp", "$users", "10", "9", "to-do", "todos", "toDos", "Todos"]);
/// ```
pub fn locale_compare(a: &str, b: &str) -> Ordering {
    let upper = |c: char| c.is_ascii_uppercase();
    a.chars().map(primary).cmp(b.chars().map(primary)).then_with(|| a.chars().map(upper).cmp(b.chars().map(upper)))
}

/// Object keys in the order JS keeps them: array indices (`"0"` … `"4294967294"`) first,
/// ascending, then the rest as given.
pub fn js_key_order<T>(entries: &mut [(String, T)]) {
    fn index(key: &str) -> Option<u64> {
        let canonical = (1..=10).contains(&key.len()) && (key == "0" || !key.starts_with('0')) && key.bytes().all(|b| b.is_ascii_digit());
        if !canonical {
            return None;
        }
        let value = key.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
        (value < u64::from(u32::MAX)).then_some(value)
    }
    insertion_sort(entries, &|(a, _), (b, _)| match (index(a), index(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
}

/// A stable sort in a few instructions: the lists sorted here are an app's entities and an
/// entity's attributes (tens to hundreds), and the standard sort adds kilobytes per type to the
/// npm wasm.
pub(crate) fn insertion_sort<T>(items: &mut [T], order: &dyn Fn(&T, &T) -> Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && order(&items[j - 1], &items[j]) == Ordering::Greater {
            items.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_sorts_as_node_sorts_it() {
        // What `[...].sort((a, b) => a.localeCompare(b))` gives in Node 22 (ICU 74).
        let mut names =
            vec!["a", "B", "b", "A", "ab", "Ab", "aB", "a_b", "a-b", "ab1", "$users", "$files", "_x", "10", "9", "a.b", "a b", "ac"];
        names.sort_by(|a, b| locale_compare(a, b));
        assert_eq!(
            names,
            ["_x", "$files", "$users", "10", "9", "a", "A", "a b", "a_b", "a-b", "a.b", "ab", "aB", "Ab", "ab1", "ac", "b", "B"]
        );
        assert_eq!(locale_compare("same", "same"), Ordering::Equal);
    }

    #[test]
    fn array_indices_come_first_as_in_js_objects() {
        let mut entries: Vec<(String, ())> = ["b", "10", "a", "9", "01"].iter().map(|k| (k.to_string(), ())).collect();
        js_key_order(&mut entries);
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["9", "10", "b", "a", "01"]);
    }
}
