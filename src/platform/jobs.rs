//! A schema push's steps and background jobs (spec platform §4.7, §4.8): what each step says
//! (`friendlyDescription`), the summary of where a push stands, and when to poll its jobs
//! again. Pure: the client feeds it what the server answered.

use crate::prelude::*;

use serde::Deserialize;

use crate::Value;

/// A background job, as `GET /dash/apps/<id>/indexing-jobs/group/<group>` answers it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Job {
    /// Its id (a step's `job-id`).
    pub id: String,
    /// `index`, `unique`, `required`, `check-data-type`, their `remove-…`, ….
    pub job_type: String,
    /// `waiting`, `processing`, `completed` or `errored`.
    pub job_status: String,
    /// `etype.label` of its attribute.
    pub attr_name: Option<String>,
    /// When it was made (`yyyy-MM-ddTHH:mm:ssZ`).
    pub created_at: Option<String>,
    /// When it last moved.
    pub updated_at: Option<String>,
    /// When it finished.
    pub done_at: Option<String>,
    /// About how much work it is.
    pub work_estimate: Option<f64>,
    /// How much is done.
    pub work_completed: Option<f64>,
    /// Why it failed: `triple-not-unique-error`, `missing-required-error`, ….
    pub error: Option<String>,
    /// The value found twice, for a failed `unique`.
    pub invalid_unique_value: Option<Value>,
    /// The type being enforced, for `check-data-type`.
    pub checked_data_type: Option<String>,
    /// Up to 10 offending values.
    pub invalid_triples_sample: Option<Vec<Value>>,
    /// More about the failure (`{"entity-ids": [...]}` for a missing required value).
    pub error_data: Option<Value>,
}

impl Job {
    /// Reads a job from the server's JSON, as its `Deserialize` does (missing or mistyped
    /// fields are their defaults), without serde: the npm wasm links no deserializer for it.
    ///
    /// ```
    /// use instant_edge::{platform::jobs::Job, value};
    /// let job = Job::from_value(&value!({ "id": "j1", "job_status": "waiting", "work_estimate": 2, "error": null }));
    /// assert_eq!((job.id.as_str(), job.job_status.as_str(), job.work_estimate, job.error), ("j1", "waiting", Some(2.0), None));
    /// ```
    pub fn from_value(json: &Value) -> Job {
        let text = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        let number = |key: &str| json.get(key).and_then(Value::as_f64);
        let present = |key: &str| json.get(key).filter(|value| !value.is_null()).cloned();
        Job {
            id: text("id").unwrap_or_default(),
            job_type: text("job_type").unwrap_or_default(),
            job_status: text("job_status").unwrap_or_default(),
            attr_name: text("attr_name"),
            created_at: text("created_at"),
            updated_at: text("updated_at"),
            done_at: text("done_at"),
            work_estimate: number("work_estimate"),
            work_completed: number("work_completed"),
            error: text("error"),
            invalid_unique_value: present("invalid_unique_value"),
            checked_data_type: text("checked_data_type"),
            invalid_triples_sample: json.get("invalid_triples_sample").and_then(Value::as_array).map(<[Value]>::to_vec),
            error_data: present("error_data"),
        }
    }

    /// Every job of a list (`[]` when it is not one).
    pub fn list(json: &Value) -> Vec<Job> {
        json.as_array().unwrap_or_default().iter().map(Job::from_value).collect()
    }

    /// Whether it will not move again.
    pub fn is_done(&self) -> bool {
        matches!(self.job_status.as_str(), "completed" | "errored")
    }
}

/// One step of a push, with its job once the server made one.
#[derive(Clone, Debug, PartialEq)]
pub struct PushStep {
    /// The step's type (`add-attr`, `index`, …).
    pub kind: String,
    /// `friendlyDescription`, as the official client words it.
    pub description: String,
    /// The step's parameters, as the server sent them.
    pub params: Value,
    /// Its background job, for the eight constraint steps.
    pub job: Option<Job>,
}

/// Where a push stands: the official `InProgressStepsSummary`, counts and wording alike.
#[derive(Clone, Debug, PartialEq)]
pub struct PushSummary {
    /// `Completing 1 of 3 schema operations.` / `Finished 3 schema operations.` / `Finished 3
    /// schema operations, with 1 error`.
    pub description: String,
    /// Steps in all.
    pub total: usize,
    /// Steps whose job is waiting or processing.
    pub in_progress: usize,
    /// Steps without a job, and those whose job completed.
    pub completed: usize,
    /// Steps whose job failed.
    pub errors: usize,
    /// The steps.
    pub steps: Vec<PushStep>,
}

/// `etype.label` of an identity `[id, etype, label]`.
fn ident_name(ident: Option<&Value>) -> String {
    let part =
        |i: usize| ident.and_then(|ident| ident.as_array()).and_then(|parts| parts.get(i)).and_then(Value::as_str).unwrap_or("undefined");
    let mut name = String::from(part(1));
    name.push('.');
    name.push_str(part(2));
    name
}

/// What a step says (spec platform §4.7). `attr_name` names a current attribute by id, for
/// `delete-attr` (whose parameter is a bare id).
///
/// ```
/// use instant_edge::{platform::jobs::describe_step, value};
/// let step = value!(["index", { "attr-id": "a1", "forward-identity": ["f1", "todos", "title"] }]);
/// assert_eq!(describe_step(&step, &|_| None), "Add index to todos.title.");
/// ```
pub fn describe_step(step: &Value, attr_name: &dyn Fn(&str) -> Option<String>) -> String {
    let parts = step.as_array().unwrap_or_default();
    let kind = parts.first().and_then(Value::as_str).unwrap_or("");
    let params = parts.get(1);
    let x = ident_name(params.and_then(|p| p.get("forward-identity")));
    let sentence = |before: &str, after: &str| {
        let mut text = String::from(before);
        text.push_str(&x);
        text.push_str(after);
        text
    };
    match kind {
        "add-attr" if params.and_then(|p| p.get("value-type")).and_then(Value::as_str) == Some("ref") => {
            let mut text = sentence("Link ", " to ");
            text.push_str(&ident_name(params.and_then(|p| p.get("reverse-identity"))));
            text.push('.');
            text
        }
        "add-attr" if x.ends_with(".id") => sentence("Create new entity ", "."),
        "add-attr" => sentence("Add attribute ", "."),
        "update-attr" => sentence("Update attribute ", "."),
        "delete-attr" => {
            let id = params.and_then(Value::as_str).unwrap_or("");
            let mut text = String::from("Delete attribute ");
            text.push_str(&attr_name(id).unwrap_or_else(|| id.to_owned()));
            text.push('.');
            text
        }
        "index" => sentence("Add index to ", "."),
        "remove-index" => sentence("Remove index from ", "."),
        "unique" => sentence("Ensure that ", " is unique."),
        "remove-unique" => sentence("Remove uniqueness constraint from ", "."),
        "required" => sentence("Make ", " a required attribute."),
        "remove-required" => sentence("Allow ", " to be missing or null."),
        "check-data-type" => {
            let mut text = sentence("Enforce data type of ", " as type ");
            text.push_str(params.and_then(|p| p.get("checked-data-type")).and_then(Value::as_str).unwrap_or("undefined"));
            text.push('.');
            text
        }
        "remove-data-type" => sentence("Stop enforcing data type of ", "."),
        other => {
            let mut text = String::from("Unknown schema operation ");
            text.push_str(other);
            text
        }
    }
}

/// The steps of an apply answer with the jobs known so far (a step's `job-id` names its job).
pub fn push_steps(steps: &[Value], jobs: &[Job], attr_name: &dyn Fn(&str) -> Option<String>) -> Vec<PushStep> {
    steps
        .iter()
        .map(|step| {
            let parts = step.as_array().unwrap_or_default();
            let params = parts.get(1).cloned().unwrap_or(Value::Null);
            let job_id = params.get("job-id").and_then(Value::as_str);
            PushStep {
                kind: parts.first().and_then(Value::as_str).unwrap_or("").to_owned(),
                description: describe_step(step, attr_name),
                job: job_id.and_then(|id| jobs.iter().find(|job| job.id == id)).cloned(),
                params,
            }
        })
        .collect()
}

/// The summary of `steps` (the official `stepSummary`, word for word: no final period after
/// an error count).
///
/// ```
/// use instant_edge::platform::jobs::{summary, Job, PushStep};
/// use instant_edge::Value;
/// let step = |status: &str| PushStep { kind: "unique".into(), description: String::new(), params: Value::Null,
///     job: Some(Job { job_status: status.into(), ..Job::default() }) };
/// assert_eq!(summary(vec![step("processing"), step("completed")]).description, "Completing 1 of 2 schema operations.");
/// assert_eq!(summary(vec![step("errored"), step("completed")]).description, "Finished 2 schema operations, with 1 error");
/// ```
pub fn summary(steps: Vec<PushStep>) -> PushSummary {
    fn status(step: &PushStep) -> Option<&str> {
        step.job.as_ref().map(|job| job.job_status.as_str())
    }
    let in_progress = steps.iter().filter(|s| matches!(status(s), Some("waiting" | "processing"))).count();
    let completed = steps.iter().filter(|s| matches!(status(s), None | Some("completed"))).count();
    let errors = steps.iter().filter(|s| status(s) == Some("errored")).count();
    let total = steps.len();
    let mut description = String::new();
    let count = |n: usize, out: &mut String| crate::value::push_number(out, n as u64);
    if in_progress > 0 {
        description.push_str("Completing ");
        count(in_progress, &mut description);
        description.push_str(" of ");
        count(total, &mut description);
        description.push_str(" schema operations.");
    } else {
        description.push_str("Finished ");
        count(total, &mut description);
        description.push_str(if total == 1 { " schema operation" } else { " schema operations" });
        if errors > 0 {
            description.push_str(", with ");
            count(errors, &mut description);
            description.push_str(if errors > 1 { " errors" } else { " error" });
        } else {
            description.push('.');
        }
    }
    PushSummary { description, total, in_progress, completed, errors, steps }
}

/// When to poll a push's jobs again (the official `jobFetchLoop`): 100 ms, back to 100 ms
/// whenever a job moved, else doubling up to 10 s; failed polls double too, and the fifth
/// failure in a row ends the push.
///
/// ```
/// use instant_edge::platform::jobs::JobPolling;
/// let mut polling = JobPolling::default();
/// assert_eq!(polling.interval_ms(), 100);
/// polling.polled(false);
/// assert_eq!(polling.interval_ms(), 200);
/// polling.polled(true);
/// assert_eq!(polling.interval_ms(), 100);
/// assert!((0..4).all(|_| polling.failed()));
/// assert!(!polling.failed(), "the fifth failure in a row gives up");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobPolling {
    interval_ms: u32,
    failures: u32,
}

impl Default for JobPolling {
    fn default() -> JobPolling {
        JobPolling { interval_ms: 100, failures: 0 }
    }
}

impl JobPolling {
    /// The wait before the next poll.
    pub fn interval_ms(&self) -> u32 {
        self.interval_ms
    }

    /// A poll answered; `moved`: some job was updated since the last answer.
    pub fn polled(&mut self, moved: bool) {
        self.failures = 0;
        self.interval_ms = if moved { 100 } else { (self.interval_ms * 2).min(10_000) };
    }

    /// A poll failed: whether to try again (after the doubled interval).
    pub fn failed(&mut self) -> bool {
        self.failures += 1;
        self.interval_ms = (self.interval_ms * 2).min(10_000);
        self.failures <= 4
    }
}

/// The newest `updated_at` of `jobs` (the timestamps sort as text).
pub fn latest_update(jobs: &[Job]) -> Option<&str> {
    jobs.iter().filter_map(|job| job.updated_at.as_deref()).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value;

    #[test]
    fn every_step_says_what_the_official_client_says() {
        let fwd = |label: &str| value!(["s", "todos", (label)]);
        let cases = [
            (value!(["add-attr", { "value-type": "blob", "forward-identity": (fwd("id")) }]), "Create new entity todos.id."),
            (value!(["add-attr", { "value-type": "blob", "forward-identity": (fwd("title")) }]), "Add attribute todos.title."),
            (
                value!(["add-attr", { "value-type": "ref", "forward-identity": (fwd("owner")), "reverse-identity": ["r", "$users", "todos"] }]),
                "Link todos.owner to $users.todos.",
            ),
            (value!(["update-attr", { "id": "x" }]), "Update attribute undefined.undefined."),
            (value!(["delete-attr", "a1"]), "Delete attribute posts.details."),
            (value!(["delete-attr", "zz"]), "Delete attribute zz."),
            (value!(["unique", { "forward-identity": (fwd("slug")) }]), "Ensure that todos.slug is unique."),
            (value!(["remove-unique", { "forward-identity": (fwd("slug")) }]), "Remove uniqueness constraint from todos.slug."),
            (value!(["required", { "forward-identity": (fwd("slug")) }]), "Make todos.slug a required attribute."),
            (value!(["remove-required", { "forward-identity": (fwd("slug")) }]), "Allow todos.slug to be missing or null."),
            (value!(["remove-index", { "forward-identity": (fwd("slug")) }]), "Remove index from todos.slug."),
            (
                value!(["check-data-type", { "forward-identity": (fwd("n")), "checked-data-type": "number" }]),
                "Enforce data type of todos.n as type number.",
            ),
            (value!(["remove-data-type", { "forward-identity": (fwd("n")) }]), "Stop enforcing data type of todos.n."),
        ];
        let names = |id: &str| (id == "a1").then(|| "posts.details".to_owned());
        for (step, want) in cases {
            assert_eq!(describe_step(&step, &names), want);
        }
    }

    #[test]
    fn summaries_count_and_word_as_the_official_client() {
        let step = |job: Option<&str>| PushStep {
            kind: "x".into(),
            description: String::new(),
            params: Value::Null,
            job: job.map(|status| Job { job_status: status.into(), ..Job::default() }),
        };
        let one = summary(vec![step(None)]);
        assert_eq!((one.description.as_str(), one.completed), ("Finished 1 schema operation.", 1));
        let mixed = summary(vec![step(None), step(Some("errored")), step(Some("errored"))]);
        assert_eq!(mixed.description, "Finished 3 schema operations, with 2 errors");
        assert_eq!((mixed.total, mixed.completed, mixed.errors, mixed.in_progress), (3, 1, 2, 0));
        let jobs = [Job { id: "j".into(), job_status: "waiting".into(), ..Job::default() }];
        let steps = push_steps(&[value!(["index", { "job-id": "j", "forward-identity": ["i", "a", "b"] }])], &jobs, &|_| None);
        assert_eq!(steps[0].job.as_ref().map(|j| j.job_status.as_str()), Some("waiting"));
        assert_eq!(summary(steps).in_progress, 1);
    }
}
