//! An app's background schema jobs (platform spec §4.8, the server's `indexing_jobs` table):
//! plain rows. What they do and how they advance is [`crate::platform_schema`]'s business; they
//! live on the [`super::App`] so a failed write's copy drops the jobs it would have created.

use serde_json::Value;
use uuid::Uuid;

use crate::values::DataType;

/// The eight constraint changes a job carries out (`indexing-jobs/jobs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobType {
    /// `check-data-type`: enforce a data type.
    CheckDataType,
    /// `remove-data-type`.
    RemoveDataType,
    /// `index`.
    Index,
    /// `remove-index`.
    RemoveIndex,
    /// `unique`.
    Unique,
    /// `remove-unique`.
    RemoveUnique,
    /// `required`.
    Required,
    /// `remove-required`.
    RemoveRequired,
}

impl JobType {
    /// Every job type, in the server's listing order.
    pub const ALL: [JobType; 8] = [
        JobType::CheckDataType,
        JobType::RemoveDataType,
        JobType::Index,
        JobType::RemoveIndex,
        JobType::Unique,
        JobType::RemoveUnique,
        JobType::Required,
        JobType::RemoveRequired,
    ];

    /// The wire name, which is also the schema step's name.
    pub fn name(self) -> &'static str {
        match self {
            JobType::CheckDataType => "check-data-type",
            JobType::RemoveDataType => "remove-data-type",
            JobType::Index => "index",
            JobType::RemoveIndex => "remove-index",
            JobType::Unique => "unique",
            JobType::RemoveUnique => "remove-unique",
            JobType::Required => "required",
            JobType::RemoveRequired => "remove-required",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<JobType> {
        JobType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// `job_serial_key`: jobs sharing it on one attribute never run at the same time.
    pub fn serial_key(self) -> &'static str {
        match self {
            JobType::CheckDataType | JobType::RemoveDataType => "data-type",
            JobType::Index | JobType::RemoveIndex => "index",
            JobType::Unique | JobType::RemoveUnique => "unique",
            JobType::Required | JobType::RemoveRequired => "required",
        }
    }
}

/// `job_status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    /// Created, not picked up yet.
    Waiting,
    /// Picked up by a worker.
    Processing,
    /// Done; the attribute has the new constraint.
    Completed,
    /// Failed; the attribute kept its previous constraint.
    Errored,
}

impl JobStatus {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            JobStatus::Waiting => "waiting",
            JobStatus::Processing => "processing",
            JobStatus::Completed => "completed",
            JobStatus::Errored => "errored",
        }
    }

    /// Whether the job will change no more.
    pub fn is_final(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Errored)
    }
}

/// One row of the `indexing_jobs` table.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexingJob {
    /// Job id.
    pub id: Uuid,
    /// The schema push that created it, shared by its sibling jobs.
    pub group_id: Option<Uuid>,
    /// The attribute it changes.
    pub attr_id: Uuid,
    /// What it does.
    pub job_type: JobType,
    /// `job_status`.
    pub status: JobStatus,
    /// `job_stage`: the stage it is at (or failed in, or finished with).
    pub stage: &'static str,
    /// For `check-data-type`: the type being enforced.
    pub checked_data_type: Option<DataType>,
    /// The error code once errored.
    pub error: Option<&'static str>,
    /// `work_estimate`: `None` until estimated.
    pub work_estimate: Option<i64>,
    /// `work_completed`: `None` until some work was done.
    pub work_completed: Option<i64>,
    /// `worker_id`: who holds it while processing.
    pub worker_id: Option<String>,
    /// Creation time, ms since the epoch.
    pub created_at: i64,
    /// Last change, ms since the epoch.
    pub updated_at: i64,
    /// Completion time, ms since the epoch.
    pub done_at: Option<i64>,
    /// For `triple-not-unique-error`: the value found twice.
    pub invalid_unique_value: Option<Value>,
    /// For `triple-too-large-error`: the entity holding the value.
    pub invalid_entity_id: Option<Uuid>,
    /// For `missing-required-error`: `{count, etype, label, entity-ids}`.
    pub error_data: Option<Value>,
    /// How many times it has been looked at since it was created (the emulator's clock for
    /// jobs: they advance when polled, see [`IndexingJobs::polls_to_finish`]).
    pub polls: u32,
}

/// An app's jobs, oldest first, and how fast they run.
#[derive(Clone, Debug)]
pub struct IndexingJobs {
    list: Vec<IndexingJob>,
    /// How many polls a job takes to finish: each poll before the last shows it `processing`.
    /// 1 (the default) finishes a job on the first poll after it was created; 0 counts as 1.
    pub polls_to_finish: u32,
}

impl Default for IndexingJobs {
    fn default() -> Self {
        IndexingJobs { list: Vec::new(), polls_to_finish: 1 }
    }
}

impl IndexingJobs {
    /// Adds a job.
    pub fn push(&mut self, job: IndexingJob) {
        self.list.push(job);
    }

    /// Every job, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &IndexingJob> {
        self.list.iter()
    }

    /// By id.
    pub fn get(&self, id: Uuid) -> Option<&IndexingJob> {
        self.list.iter().find(|j| j.id == id)
    }

    /// By id, mutably.
    pub fn get_mut(&mut self, id: Uuid) -> Option<&mut IndexingJob> {
        self.list.iter_mut().find(|j| j.id == id)
    }

    /// The ids of a group's jobs, oldest first.
    pub fn group_ids(&self, group_id: Uuid) -> Vec<Uuid> {
        self.list.iter().filter(|j| j.group_id == Some(group_id)).map(|j| j.id).collect()
    }
}
