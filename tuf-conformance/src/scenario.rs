//! Scenarios: a named sequence of repository changes, client calls and checks.
//!
//! Every client step clears the server's request log first, so [`Step::Requests`] checks the
//! requests of the client call just before it.

use std::fmt;

use crate::Error;
use crate::simulator::{RepositorySimulator, SimOptions};

/// A change to the repository, run before the files are served again.
pub type PublishFn = Box<dyn Fn(&mut RepositorySimulator) -> Result<(), Error> + Send + Sync>;

/// One expected request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Req {
    /// This exact path (relative to the server root), e.g. `metadata/2.root.json`.
    Path(String),
    /// The URL of target `path` as the simulator serves it (hash-prefixed with consistent
    /// snapshots). Compared after percent-decoding the request: `a%20b` and `a b` name the
    /// same file, and the protocol leaves the encoding of target paths to the client.
    Target(String),
}

/// `metadata/` + `file`.
pub fn m(file: &str) -> Req {
    Req::Path(format!("metadata/{file}"))
}

/// The request for target `path`.
pub fn t(path: &str) -> Req {
    Req::Target(path.to_owned())
}

/// What a fresh client requests on its first refresh of an unchanged repository with
/// consistent snapshots: `2.root.json` (404), timestamp, snapshot 1, targets 1.
pub fn fresh_refresh() -> Vec<Req> {
    vec![
        m("2.root.json"),
        m("timestamp.json"),
        m("1.snapshot.json"),
        m("1.targets.json"),
    ]
}

/// One step of a scenario.
pub enum Step {
    /// Change the repository.
    Publish(PublishFn),
    /// `init` with published root version 1.
    Init,
    /// `init` with published root `version`.
    InitRoot(u64),
    /// `refresh`; exit 0 expected iff `expect_ok`.
    Refresh {
        /// Whether the client must succeed.
        expect_ok: bool,
    },
    /// `download` of `targets` in order; exit 0 expected iff `expect_ok`.
    Download {
        /// The target paths.
        targets: Vec<String>,
        /// Whether the client must succeed.
        expect_ok: bool,
    },
    /// The previous client call made exactly these requests.
    Requests(Vec<Req>),
    /// As [`Step::Requests`], but a request repeated right after itself counts once (a client
    /// may retry after a dropped connection or a timeout).
    RequestsWithRetries(Vec<Req>),
    /// The trusted file of `role` in the metadata directory holds `version` (`None`: the file
    /// does not exist).
    Trusted {
        /// The role.
        role: String,
        /// Its version, or `None` for no file.
        version: Option<u64>,
    },
    /// The `*.json` files at the top of the metadata directory are exactly these roles'.
    MetadataFiles(Vec<String>),
    /// The target directory holds exactly files with these contents (names are the client's
    /// business; the same path must always map to the same file).
    TargetDir(Vec<Vec<u8>>),
    /// Overwrite the client's trusted file of `role` with garbage.
    CorruptTrusted(String),
    /// Delete the client's trusted file of `role`.
    DeleteTrusted(String),
    /// Overwrite every file in the target directory with garbage of the same length.
    CorruptTargetDir,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Publish(_) => write!(f, "Publish"),
            Step::Init => write!(f, "Init"),
            Step::InitRoot(v) => write!(f, "InitRoot({v})"),
            Step::Refresh { expect_ok } => write!(f, "Refresh {{ expect_ok: {expect_ok} }}"),
            Step::Download { targets, expect_ok } => {
                write!(f, "Download {{ {targets:?}, expect_ok: {expect_ok} }}")
            }
            Step::Requests(r) => write!(f, "Requests({r:?})"),
            Step::RequestsWithRetries(r) => write!(f, "RequestsWithRetries({r:?})"),
            Step::Trusted { role, version } => write!(f, "Trusted({role}, {version:?})"),
            Step::MetadataFiles(roles) => write!(f, "MetadataFiles({roles:?})"),
            Step::TargetDir(c) => write!(f, "TargetDir({} files)", c.len()),
            Step::CorruptTrusted(role) => write!(f, "CorruptTrusted({role})"),
            Step::DeleteTrusted(role) => write!(f, "DeleteTrusted({role})"),
            Step::CorruptTargetDir => write!(f, "CorruptTargetDir"),
        }
    }
}

/// One conformance test.
#[derive(Debug)]
pub struct Scenario {
    /// Unique name, `category/what`, e.g. `rollback/timestamp-version-lowered`.
    pub name: String,
    /// The spec section or attack (spec 1.5.2) tested.
    pub spec_ref: String,
    /// What is set up and what the client must do.
    pub description: String,
    /// How the repository starts.
    pub options: SimOptions,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// A scenario with default options and no steps.
    pub fn new(name: &str, spec_ref: &str, description: &str) -> Self {
        Scenario {
            name: name.to_owned(),
            spec_ref: spec_ref.to_owned(),
            description: description.to_owned(),
            options: SimOptions::default(),
            steps: Vec::new(),
        }
    }

    /// The category: the name up to its first `/`.
    pub fn category(&self) -> &str {
        self.name.split('/').next().unwrap_or(&self.name)
    }

    /// Sets the repository options.
    pub fn options(mut self, options: SimOptions) -> Self {
        self.options = options;
        self
    }

    /// Without consistent snapshots.
    pub fn non_consistent(mut self) -> Self {
        self.options.consistent_snapshot = false;
        self
    }

    /// Adds a step.
    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    /// Adds a [`Step::Publish`].
    pub fn publish(
        self,
        change: impl Fn(&mut RepositorySimulator) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Self {
        self.step(Step::Publish(Box::new(change)))
    }

    /// Adds [`Step::Init`].
    pub fn init(self) -> Self {
        self.step(Step::Init)
    }

    /// Adds a [`Step::Refresh`].
    pub fn refresh(self, expect_ok: bool) -> Self {
        self.step(Step::Refresh { expect_ok })
    }

    /// Adds a [`Step::Download`].
    pub fn download(self, targets: &[&str], expect_ok: bool) -> Self {
        self.step(Step::Download {
            targets: targets.iter().map(|t| (*t).to_owned()).collect(),
            expect_ok,
        })
    }

    /// Adds a [`Step::Requests`].
    pub fn requests(self, requests: Vec<Req>) -> Self {
        self.step(Step::Requests(requests))
    }

    /// Adds a [`Step::RequestsWithRetries`].
    pub fn requests_with_retries(self, requests: Vec<Req>) -> Self {
        self.step(Step::RequestsWithRetries(requests))
    }

    /// Adds a [`Step::Trusted`] with a version.
    pub fn trusted(self, role: &str, version: u64) -> Self {
        self.step(Step::Trusted {
            role: role.to_owned(),
            version: Some(version),
        })
    }

    /// Adds a [`Step::Trusted`] expecting no file.
    pub fn untrusted(self, role: &str) -> Self {
        self.step(Step::Trusted {
            role: role.to_owned(),
            version: None,
        })
    }

    /// Adds a [`Step::Trusted`] for each top-level role: root, timestamp, snapshot, targets.
    pub fn trusted_top(self, root: u64, timestamp: u64, snapshot: u64, targets: u64) -> Self {
        self.trusted("root", root)
            .trusted("timestamp", timestamp)
            .trusted("snapshot", snapshot)
            .trusted("targets", targets)
    }

    /// Adds a [`Step::MetadataFiles`].
    pub fn metadata_files(self, roles: &[&str]) -> Self {
        self.step(Step::MetadataFiles(
            roles.iter().map(|r| (*r).to_owned()).collect(),
        ))
    }

    /// Adds a [`Step::TargetDir`].
    pub fn target_dir(self, contents: &[&[u8]]) -> Self {
        self.step(Step::TargetDir(
            contents.iter().map(|c| c.to_vec()).collect(),
        ))
    }
}
