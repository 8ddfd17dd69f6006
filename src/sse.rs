//! A Server-Sent Events decoder over arbitrary byte chunks (the WHATWG "event stream" parsing
//! rules): lines end in CRLF, LF or CR, even when a chunk splits a CRLF; `:` lines are comments;
//! `data:` lines join with `\n`; `retry:` takes digits only; a blank line dispatches. Pure, so it
//! is tested natively on every chunk split; memory is bounded by the longest line.

use crate::prelude::*;
/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name (`None` = the default "message").
    pub event: Option<String>,
    /// The joined `data:` lines.
    pub data: String,
    /// The last `id:` seen.
    pub id: Option<String>,
}

/// What a chunk produced, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseItem {
    /// An event with data.
    Event(SseEvent),
    /// A `retry:` reconnection time, in ms.
    Retry(u32),
    /// A comment line (keep-alive).
    Comment,
}

/// Feed it chunks; it returns what they completed.
///
/// ```
/// use instant_edge::sse::{SseDecoder, SseItem};
/// let mut decoder = SseDecoder::default();
/// let mut items = decoder.push(b"retry:500\n\ndata:{\"op\":");
/// items.extend(decoder.push(b"\"sse-init\"}\r\n\r\n"));
/// assert_eq!(items[0], SseItem::Retry(500));
/// match &items[1] { SseItem::Event(e) => assert_eq!(e.data, r#"{"op":"sse-init"}"#), _ => panic!() }
/// ```
#[derive(Clone, Debug, Default)]
pub struct SseDecoder {
    /// Bytes of the line being read.
    line: Vec<u8>,
    /// The previous chunk ended in CR: a leading LF in the next one belongs to it.
    after_cr: bool,
    data: String,
    has_data: bool,
    event: Option<String>,
    id: Option<String>,
    /// Stripped once: a UTF-8 byte order mark at the very start.
    started: bool,
}

impl SseDecoder {
    /// Decodes `chunk`, returning the items it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseItem> {
        let mut items = Vec::new();
        let mut bytes = chunk;
        if !self.started && !bytes.is_empty() {
            self.started = true;
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        for &byte in bytes {
            if self.after_cr {
                self.after_cr = false;
                if byte == b'\n' {
                    continue;
                }
            }
            match byte {
                b'\n' => self.end_line(&mut items),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut items);
                }
                _ => self.line.push(byte),
            }
        }
        items
    }

    fn end_line(&mut self, items: &mut Vec<SseItem>) {
        let line = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        if line.is_empty() {
            if self.has_data {
                let data = core::mem::take(&mut self.data);
                items.push(SseItem::Event(SseEvent { event: self.event.take(), data, id: self.id.clone() }));
            }
            self.has_data = false;
            self.event = None;
            return;
        }
        if line.starts_with(':') {
            items.push(SseItem::Comment);
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_str(), ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                items.push(SseItem::Retry(value.parse().unwrap_or(u32::MAX)));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(items: &[SseItem]) -> Vec<String> {
        items
            .iter()
            .filter_map(|item| match item {
                SseItem::Event(e) => Some(e.data.clone()),
                _ => None,
            })
            .collect()
    }

    const STREAM: &[u8] = b"retry:500\n\n:\ndata:{\"op\":\"sse-init\"}\n\ndata: a\r\ndata:b\r\n\r\n: keep\rdata:c\r\revent:x\ndata\n\nretry: 7x\nid:9\ndata:\xE2\x9C\x93\n\n";

    fn expected() -> Vec<SseItem> {
        vec![
            SseItem::Retry(500),
            SseItem::Comment,
            SseItem::Event(SseEvent { data: r#"{"op":"sse-init"}"#.into(), ..Default::default() }),
            SseItem::Event(SseEvent { data: "a\nb".into(), ..Default::default() }),
            SseItem::Comment,
            SseItem::Event(SseEvent { data: "c".into(), ..Default::default() }),
            SseItem::Event(SseEvent { event: Some("x".into()), data: String::new(), id: None }),
            SseItem::Event(SseEvent { data: "✓".into(), id: Some("9".into()), event: None }),
        ]
    }

    #[test]
    fn every_split_of_the_stream_decodes_the_same() {
        let whole = SseDecoder::default().push(STREAM);
        assert_eq!(whole, expected());
        for cut in 0..=STREAM.len() {
            let mut decoder = SseDecoder::default();
            let mut items = decoder.push(&STREAM[..cut]);
            items.extend(decoder.push(&STREAM[cut..]));
            assert_eq!(items, whole, "split at {cut}");
        }
        let mut decoder = SseDecoder::default();
        let one_by_one: Vec<SseItem> = STREAM.iter().flat_map(|b| decoder.push(core::slice::from_ref(b))).collect();
        assert_eq!(one_by_one, whole);
    }

    #[test]
    fn crlf_split_across_chunks_is_one_line_end() {
        let mut decoder = SseDecoder::default();
        let mut items = decoder.push(b"data:x\r");
        items.extend(decoder.push(b"\n\r"));
        items.extend(decoder.push(b"\n"));
        assert_eq!(events(&items), ["x"]);
    }

    #[test]
    fn bom_comments_and_unknown_fields_are_ignored() {
        let mut decoder = SseDecoder::default();
        let items = decoder.push(b"\xEF\xBB\xBFdata:1\nfoo:bar\n\n: only a comment\n\n");
        assert_eq!(events(&items), ["1"]);
        assert_eq!(items.iter().filter(|i| **i == SseItem::Comment).count(), 1);
    }

    #[test]
    fn an_unfinished_event_is_not_dispatched() {
        let mut decoder = SseDecoder::default();
        assert!(events(&decoder.push(b"data:half")).is_empty());
        assert!(events(&decoder.push(b"\n")).is_empty());
        assert_eq!(events(&decoder.push(b"\n")), ["half"]);
    }
}
