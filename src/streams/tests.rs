use super::*;

#[test]
fn events_read_every_op() {
    let init = r#"{"op":"sse-init","machine-id":"m","session-id":"s","sse-token":"t","trace-id":null}"#;
    assert_eq!(
        events(init).unwrap(),
        [Event::Init(ChannelSession { machine_id: "m".into(), session_id: "s".into(), sse_token: "t".into() })]
    );
    let ok = r#"{"op":"start-stream-ok","client-event-id":"e","client-id":"c","stream-id":"s1","offset":0}"#;
    assert_eq!(events(ok).unwrap(), [Event::Started { event_id: "e".into(), stream_id: "s1".into(), offset: 0 }]);
    let flushed = r#"[{"op":"stream-flushed","stream-id":"s1","offset":12,"done":true},{"op":"append-failed","stream-id":"s1"}]"#;
    assert_eq!(
        events(flushed).unwrap(),
        [Event::Flushed { stream_id: "s1".into(), offset: 12, done: true }, Event::AppendFailed { stream_id: "s1".into() }]
    );
    let append = r#"{"op":"stream-append","client-event-id":"e","stream-id":"s1","client-id":"c","offset":3,"files":[{"id":"f","size":3,"url":"http://x/f"}],"content":"héllo","done":true,"abort-reason":"stop"}"#;
    let [Event::Append(a)] = &events(append).unwrap()[..] else { panic!() };
    assert_eq!((a.offset, a.content.as_deref(), a.done, a.abort_reason.as_deref()), (3, Some("héllo"), true, Some("stop")));
    assert_eq!(a.files, [StreamFile { url: "http://x/f".into(), size: 3 }]);
    let retry = r#"{"op":"stream-append","client-event-id":"e","error":true,"error-type":"rate-limit","retry":true}"#;
    let [Event::Append(r)] = &events(retry).unwrap()[..] else { panic!() };
    assert!(r.error && r.retry && r.content.is_none());
    let error = r#"{"op":"error","status":400,"type":"validation-failed","message":"Validation failed for start-stream: Stream is closed.","original-event":{"op":"start-stream","client-event-id":"e2"}}"#;
    match &events(error).unwrap()[..] {
        [Event::Failed { op, event_id, error, .. }] => {
            assert_eq!((op.as_str(), event_id.as_str()), ("start-stream", "e2"));
            assert_eq!(error.status(), 400);
            assert_eq!(error.message(), "Validation failed for start-stream: Stream is closed.");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events(r#"{"op":"refresh-ok"}"#).unwrap(), [Event::Other]);
    assert!(events("nope").is_err());
}

#[test]
fn messages_are_the_official_shapes() {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(
        parse(&start_message("e", "c\"1", "t", Some(r#"{"k":1}"#))),
        serde_json::json!({"op":"start-stream","client-event-id":"e","client-id":"c\"1","reconnect-token":"t","rule-params":{"k":1}})
    );
    assert_eq!(
        parse(&append_message("e", "s", &["a", "✓\n"], 7, false, None)),
        serde_json::json!({"op":"append-stream","client-event-id":"e","stream-id":"s","chunks":["a","✓\n"],"offset":7,"done":false})
    );
    assert_eq!(
        parse(&append_message::<&str>("e", "s", &[], 9, true, Some("bye"))),
        serde_json::json!({"op":"append-stream","client-event-id":"e","stream-id":"s","chunks":[],"offset":9,"done":true,"abort-reason":"bye"})
    );
    assert_eq!(
        parse(&subscribe_message("e", &StreamRef::ClientId("c".into()), 0, None)),
        serde_json::json!({"op":"subscribe-stream","client-event-id":"e","client-id":"c"}),
        "offset 0 is omitted"
    );
    assert_eq!(
        parse(&subscribe_message("e", &StreamRef::StreamId("s".into()), 5, None)),
        serde_json::json!({"op":"subscribe-stream","client-event-id":"e","stream-id":"s","offset":5})
    );
    assert_eq!(
        parse(&unsubscribe_message("e2", "e")),
        serde_json::json!({"op":"unsubscribe-stream","client-event-id":"e2","subscribe-event-id":"e"})
    );
    let session = ChannelSession { machine_id: "m".into(), session_id: "s".into(), sse_token: "t".into() };
    let body = parse(&push_body(&session, &[unsubscribe_message("a", "b"), unsubscribe_message("c", "d")]));
    assert_eq!(body["messages"].as_array().unwrap().len(), 2);
    assert_eq!(body["sse_token"], "t");
}

#[test]
fn schedules_follow_the_official_client() {
    let channel: Vec<u32> = (0..8).map(channel_backoff_ms).collect();
    assert_eq!(channel, [0, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
    let retries: Vec<u32> = (1..5).map(retry_delay_ms).chain([40].map(retry_delay_ms)).collect();
    assert_eq!(retries, [0, 500, 1000, 1500, 15000]);
    assert_eq!(retry_delay_ms(0), 0);
}

#[test]
fn the_writer_resends_what_was_not_flushed_and_the_end() {
    let mut w = WriterState::default();
    assert!(w.started("e", "s", 0).unwrap().is_none());
    assert_eq!(w.write("ab").unwrap(), 0);
    assert_eq!(w.write("✓").unwrap(), 2);
    assert_eq!(w.write("cd").unwrap(), 5);
    w.flushed(2);
    assert_eq!(w.unflushed(), 5);
    // A drop: close() while disconnected is remembered and sent with the resend.
    assert!(w.end("e2", None).is_some(), "the stream has an id: the end goes at once if connected");
    let resend = w.started("e3", "s", 2).unwrap().unwrap();
    let body: serde_json::Value = serde_json::from_str(&resend).unwrap();
    assert_eq!(body["chunks"], serde_json::json!(["✓", "cd"]));
    assert_eq!((body["offset"].as_u64(), body["done"].as_bool()), (Some(2), Some(true)));
    assert!(w.write("x").is_err(), "no writes after close");
}

#[test]
fn the_writer_checks_offsets() {
    let mut w = WriterState::default();
    assert_eq!(w.started("e", "s", 3).unwrap_err().message(), "Write stream is corrupted");
    let mut w = WriterState::default();
    w.started("e", "s", 0).unwrap();
    w.write("abcd").unwrap();
    let resend = w.started("e", "s", 2).unwrap().unwrap();
    assert!(resend.contains(r#""chunks":["cd"],"offset":2"#), "{resend}");
    assert!(w.started("e", "s", 9).is_err(), "the server holds more than was written");
    let mut w = WriterState::default();
    w.started("e", "s", 0).unwrap();
    w.write("x").unwrap();
    let abort = w.end("e", Some("why".into())).unwrap();
    assert!(abort.contains(r#""offset":1,"done":true,"abort-reason":"why""#), "{abort}");
    assert!(w.end("e", None).is_none(), "ends once");
}

#[test]
fn the_reader_skips_overlap_and_decodes_split_characters() {
    let mut r = ReaderState::at(0);
    assert_eq!(r.content(0, "ab✓").unwrap(), "ab✓");
    assert_eq!(r.seen, 5);
    // After a resubscribe the server starts at an earlier chunk.
    assert_eq!(r.content(2, "✓cd").unwrap(), "cd");
    assert_eq!(r.content(0, "ab").unwrap(), "");
    assert_eq!(r.content(9, "x").unwrap_err().message(), "Stream is corrupted.");
    // A byte offset inside a character, and bytes split inside one.
    let mut r = ReaderState::at(0);
    let bytes = "é✓".as_bytes();
    assert_eq!(r.bytes(0, &bytes[..1]).unwrap(), "");
    assert_eq!(r.bytes(1, &bytes[1..3]).unwrap(), "é");
    assert_eq!(r.bytes(3, &bytes[3..]).unwrap(), "✓");
}

#[test]
fn an_abort_reaches_the_reader_as_an_error() {
    let end = Append { done: true, ..Append::default() };
    assert!(append_end(&end).unwrap());
    let aborted = Append { done: true, abort_reason: Some("oops".into()), ..Append::default() };
    assert_eq!(append_end(&aborted).unwrap_err().message(), "oops");
    let failed = Append { error: true, ..Append::default() };
    assert_eq!(append_end(&failed).unwrap_err().message(), "Unable to process stream.");
    assert!(!append_end(&Append::default()).unwrap());
}
