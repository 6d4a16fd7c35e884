//! The exit code of every command, typed and ranked in one place. A leaf: the commands decide
//! an [`Exit`], combine several with [`Exit::worst`], and `main` turns it into the process's
//! code.
//!
//! | code | variant | meaning |
//! |---|---|---|
//! | 0 | `Passed` | every SLO held; the file is clean; nothing to reformat |
//! | 1 | `Failed` | an SLO failed; `fmt --check` found a file to reformat |
//! | 2 | `Invalid` | invalid file or usage: nothing ran |
//! | 3 | `CouldNotRun` | the run could not proceed (target, service, output, limits) |
//! | 130 | `Interrupted` | stopped by SIGINT (Ctrl-C); partial report written |
//! | 143 | `Terminated` | stopped by SIGTERM; partial report written |

/// How a command ended, ordered by severity: [`Exit::worst`] of two is the later variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Exit {
    #[default]
    Passed,
    Failed,
    CouldNotRun,
    Invalid,
    Interrupted,
    Terminated,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Passed => 0,
            Exit::Failed => 1,
            Exit::Invalid => 2,
            Exit::CouldNotRun => 3,
            Exit::Interrupted => 130,
            Exit::Terminated => 143,
        }
    }

    /// The more serious of two.
    #[must_use]
    pub fn worst(self, other: Exit) -> Exit {
        self.max(other)
    }

    /// Stopped by a signal (the run ends early and writes what it has).
    pub fn is_stop(self) -> bool {
        matches!(self, Exit::Interrupted | Exit::Terminated)
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn codes_and_ranking() {
        let all = [
            Exit::Passed,
            Exit::Failed,
            Exit::CouldNotRun,
            Exit::Invalid,
            Exit::Interrupted,
            Exit::Terminated,
        ];
        let codes: Vec<u8> = all.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 3, 2, 130, 143]);
        assert_eq!(Exit::Failed.worst(Exit::Passed), Exit::Failed);
        assert_eq!(Exit::Failed.worst(Exit::CouldNotRun), Exit::CouldNotRun);
        assert_eq!(
            Exit::Interrupted.worst(Exit::CouldNotRun),
            Exit::Interrupted
        );
        assert!(Exit::Terminated.is_stop() && !Exit::Invalid.is_stop());
    }
}
