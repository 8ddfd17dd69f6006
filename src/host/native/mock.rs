//! A scripted transport for native tests: answers from a queue, records every request, and
//! keeps a virtual clock that `sleep` advances (so retry tests take no time).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use crate::host::{CallControl, ChunkReader, Opened, Task, Transport};
use crate::http::{HttpRequest, HttpResponse, TransportError};
use crate::http::{Progress, Reply, UploadBody, UploadSource};

/// A scripted answer to `open`.
#[derive(Clone, Debug)]
pub enum StreamScript {
    /// A 200 whose body yields these chunks (an `Err` fails the read), then ends, or, with
    /// `hang`, stays open without data.
    Body {
        /// The chunks, in order.
        chunks: Vec<Result<Vec<u8>, TransportError>>,
        /// Stay open after the chunks.
        hang: bool,
    },
    /// Any other answer, read whole.
    Whole(HttpResponse),
    /// No answer.
    Fail(TransportError),
}

#[derive(Default)]
struct State {
    answers: VecDeque<Result<HttpResponse, TransportError>>,
    streams: VecDeque<StreamScript>,
    tasks: Vec<Task>,
    sent: Vec<HttpRequest>,
    uploaded: Vec<Vec<u8>>,
    slept: Vec<u32>,
    now_ms: f64,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("sent", &self.sent.len()).field("tasks", &self.tasks.len()).finish()
    }
}

/// Clones share the script and the log.
///
/// ```
/// use instant_edge::host::mock::MockTransport;
/// let mock = MockTransport::new();
/// mock.answer(200, r#"{"goals":[]}"#);
/// assert_eq!(mock.sent().len(), 0);
/// ```
#[derive(Clone, Default, Debug)]
pub struct MockTransport(Rc<RefCell<State>>);

impl MockTransport {
    /// An empty script: every request fails as a network error.
    pub fn new() -> MockTransport {
        MockTransport::default()
    }

    /// Queues an answer.
    pub fn answer(&self, status: u16, body: &str) -> &Self {
        self.push(Ok(HttpResponse { status, retry_after: None, body: Reply::Text(body.to_owned()) }))
    }

    /// Queues an answer with a `Retry-After` header.
    pub fn answer_retry_after(&self, status: u16, retry_after: &str, body: &str) -> &Self {
        self.push(Ok(HttpResponse { status, retry_after: Some(retry_after.to_owned()), body: Reply::Text(body.to_owned()) }))
    }

    /// Queues an answer to `open` (live queries).
    pub fn stream(&self, script: StreamScript) -> &Self {
        self.0.borrow_mut().streams.push_back(script);
        self
    }

    /// A 200 event stream of these SSE texts, then the end of the stream (a dropped connection)
    /// or, with `hang`, an open stream.
    pub fn sse(&self, chunks: &[&str], hang: bool) -> &Self {
        self.stream(StreamScript::Body { chunks: chunks.iter().map(|c| Ok(c.as_bytes().to_vec())).collect(), hang })
    }

    /// Polls every background task until each is done or waiting (tasks never wait on the
    /// mock except on a hanging stream or a signal).
    pub fn run_tasks(&self) {
        let mut tasks = std::mem::take(&mut self.0.borrow_mut().tasks);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        self.0.borrow_mut().tasks.extend(tasks);
    }

    /// How many background tasks are still running.
    pub fn running_tasks(&self) -> usize {
        self.0.borrow().tasks.len()
    }

    /// Queues a transport failure.
    pub fn fail(&self, error: TransportError) -> &Self {
        self.push(Err(error))
    }

    fn push(&self, answer: Result<HttpResponse, TransportError>) -> &Self {
        self.0.borrow_mut().answers.push_back(answer);
        self
    }

    /// Every request that was sent, in order.
    pub fn sent(&self) -> Vec<HttpRequest> {
        self.0.borrow().sent.clone()
    }

    /// The bytes of every upload body, read as a real transport would (progress reported).
    pub fn uploaded(&self) -> Vec<Vec<u8>> {
        self.0.borrow().uploaded.clone()
    }

    /// Every wait the client asked for, in ms.
    pub fn slept(&self) -> Vec<u32> {
        self.0.borrow().slept.clone()
    }
}

/// A scripted response body.
pub struct MockBody {
    chunks: VecDeque<Result<Vec<u8>, TransportError>>,
    hang: bool,
    signal: Option<super::Signal>,
}

impl ChunkReader for MockBody {
    async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, TransportError>> {
        loop {
            if self.signal.as_ref().is_some_and(super::Signal::aborted) {
                return Some(Err(TransportError::Aborted));
            }
            if let Some(chunk) = self.chunks.pop_front() {
                return Some(chunk);
            }
            if !self.hang {
                return None;
            }
            // Stay open: yield once, so the task waits until it is polled again.
            let mut yielded = false;
            std::future::poll_fn(|_| {
                if yielded {
                    std::task::Poll::Ready(())
                } else {
                    yielded = true;
                    std::task::Poll::Pending
                }
            })
            .await;
        }
    }
}

impl Transport for MockTransport {
    type Body = MockBody;

    async fn open(&self, request: &HttpRequest, control: &CallControl) -> Result<Opened<MockBody>, TransportError> {
        if control.signal.as_ref().is_some_and(super::Signal::aborted) {
            return Err(TransportError::Aborted);
        }
        let script = {
            let mut state = self.0.borrow_mut();
            state.sent.push(request.clone());
            state.streams.pop_front()
        };
        match script {
            Some(StreamScript::Body { chunks, hang }) => {
                Ok(Opened::Stream(MockBody { chunks: chunks.into(), hang, signal: control.signal.clone() }))
            }
            Some(StreamScript::Whole(answer)) => Ok(Opened::Whole(answer)),
            Some(StreamScript::Fail(error)) => Err(error),
            None => Err(TransportError::Network("no stream scripted".into())),
        }
    }

    fn spawn(&self, task: Task) {
        self.0.borrow_mut().tasks.push(task);
        self.run_tasks();
    }

    async fn send(&self, request: &HttpRequest, control: &CallControl) -> Result<HttpResponse, TransportError> {
        if control.signal.as_ref().is_some_and(super::Signal::aborted) {
            return Err(TransportError::Aborted);
        }
        let uploaded = match &request.upload {
            Some(upload) => Some(drain(upload).await?),
            None => None,
        };
        let mut state = self.0.borrow_mut();
        state.sent.push(request.clone());
        state.uploaded.extend(uploaded);
        state.answers.pop_front().unwrap_or_else(|| Err(TransportError::Network("no answer scripted".into())))
    }

    async fn sleep(&self, ms: u32) {
        let mut state = self.0.borrow_mut();
        state.slept.push(ms);
        state.now_ms += f64::from(ms);
    }

    fn now_ms(&self) -> f64 {
        self.0.borrow().now_ms
    }

    fn jitter(&self) -> f64 {
        0.5
    }
}

/// Reads an upload body chunk by chunk, reporting progress as a real transport does.
async fn drain(upload: &UploadBody) -> Result<Vec<u8>, TransportError> {
    let mut bytes = Vec::new();
    let report = |bytes: &Vec<u8>| {
        if let Some(on_progress) = &upload.on_progress {
            on_progress(Progress { loaded: bytes.len() as u64, total: upload.size });
        }
    };
    match &upload.source {
        UploadSource::Bytes(all) => {
            bytes.extend_from_slice(all);
            report(&bytes);
        }
        UploadSource::Host(host, _) => {
            for chunk in host.get::<Vec<Vec<u8>>>().map_or(&[][..], Vec::as_slice) {
                bytes.extend_from_slice(chunk);
                report(&bytes);
            }
        }
        UploadSource::Stream(chunks) => {
            let mut stream = chunks.take().ok_or_else(|| TransportError::Network("this stream was already read".into()))?;
            while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
                let chunk = chunk.map_err(|message| TransportError::Network(String::from("the upload source failed: ") + &message))?;
                bytes.extend_from_slice(&chunk);
                report(&bytes);
            }
        }
    }
    Ok(bytes)
}

/// A stand-in for a body the host holds: a sized one (a `Blob`) or a one-shot stream of chunks
/// (a `ReadableStream`), read chunk by chunk by the mock.
///
/// ```
/// use instant_edge::host::mock::host_body;
/// assert_eq!(host_body(vec![b"abc".to_vec()], false).size(), Some(3));
/// assert_eq!(host_body(vec![b"ab".to_vec(), b"c".to_vec()], true).size(), None);
/// ```
pub fn host_body(chunks: Vec<Vec<u8>>, stream: bool) -> UploadSource {
    let size = (!stream).then(|| chunks.iter().map(|c| c.len() as u64).sum());
    UploadSource::Host(crate::http::HostValue::new(chunks), size)
}
