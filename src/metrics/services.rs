//! What the services of a test did, as data: the samples of each service's process tree, its
//! restarts and how it ended, and each scenario's span on the services' clock. Written by
//! `crate::service` (which runs the processes), read by the service metrics (`growth`) and the
//! reports, and kept in `metrics.json` so that `stress merge` can judge them per machine.

use serde::{Deserialize, Serialize};

/// One sample of a service, at `t_us` since the services started.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub t_us: u64,
    pub rss: u64,
    /// % of one core since the previous sample; `None` for the first sample of a process.
    pub cpu: Option<f64>,
    pub fds: u64,
    pub threads: u64,
    pub procs: u64,
}

/// What the services of one test did: the input of service metrics and the report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceData {
    pub services: Vec<ServiceRecord>,
    /// Each scenario's run on the services' clock.
    pub scenarios: Vec<ScenarioSpan>,
    /// What `scrape` read from services and targets (`crate::metrics::scraped`).
    pub scrapes: Vec<super::scraped::ScrapeRecord>,
    /// In a merge: the machine that ran these services (`shard-I`, or `run-K` for a run that
    /// was not a shard); the reports show its services as `shard-I/NAME`. `None` in a run.
    #[serde(default)]
    pub machine: Option<String>,
    /// In a merge: the shard index (`--shard I/N`) of that machine.
    #[serde(default)]
    pub shard: Option<u32>,
}

impl ServiceData {
    /// How a service or scrape owner of this machine is shown: `NAME`, or `shard-I/NAME`.
    pub fn shown(&self, name: &str) -> String {
        match &self.machine {
            Some(machine) => format!("{machine}/{name}"),
            None => name.to_string(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceRecord {
    pub name: String,
    /// From the first start to ready, µs.
    pub ready_after_us: Option<u64>,
    pub sample_every_us: u64,
    pub samples: Vec<Sample>,
    /// When each restart (chaos `restart`, `up` after `down`) happened, µs.
    pub restarts: Vec<u64>,
    /// How it ended, when it exited by itself during the test.
    pub failure: Option<String>,
    /// It ignored the stop signal and was killed after the grace.
    pub killed_after_grace: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSpan {
    pub scenario: String,
    pub start_us: u64,
    pub end_us: u64,
}
