//! A test's `chaos from A to B { … }` window, on the scenario's clock: runs the `start`
//! actions at A and the `stop` actions at B (or when the scenario ends first, so the system
//! is restored). Actions are `exec "cmd"` (through `sh -c`) or an HTTP call. Failures become
//! warnings in the run summary; they never stop the run. The window's fault rules are applied
//! by `fault.rs`; the phases `before/during/after chaos` are placed by time in metrics.

use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use crate::eval::{Env, json_into};
use crate::plan::{Action, Chaos};
use crate::units::Duration;

use super::client::{Client, Endpoint, Payload};

/// The longest an action may take before it is abandoned.
const ACTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs the window's actions; returns warnings.
pub(crate) async fn run(
    chaos: Chaos,
    client: Client,
    mut env: Env,
    t0: Instant,
    cancel: CancellationToken,
    done: CancellationToken,
    services: Option<std::sync::Arc<dyn super::ServiceControl>>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let from = t0 + chaos.from.to_std();
    let started = tokio::select! {
        biased;
        _ = cancel.cancelled() => false,
        _ = done.cancelled() => false,
        _ = sleep_until(from) => true,
    };
    if !started {
        return warnings;
    }
    for action in &chaos.start {
        if let Err(e) = perform(action, &client, &mut env, services.as_deref()).await {
            warnings.push(format!("chaos start action failed: {e}"));
        }
    }
    tokio::select! {
        biased;
        _ = cancel.cancelled() => {}
        _ = done.cancelled() => {}
        _ = sleep_until(t0 + chaos.to.to_std()) => {}
    }
    for action in &chaos.stop {
        if let Err(e) = perform(action, &client, &mut env, services.as_deref()).await {
            warnings.push(format!("chaos stop action failed: {e}"));
        }
    }
    warnings
}

async fn perform(
    action: &Action,
    client: &Client,
    env: &mut Env,
    services: Option<&dyn super::ServiceControl>,
) -> Result<(), String> {
    match action {
        Action::Service { op, service } => match services {
            Some(control) => control.act(*op, service).await,
            None => Err(format!("service `{service}` is not running")),
        },
        Action::Exec(command) => {
            let child = tokio::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("`{command}`: {e}"))?;
            let output = tokio::time::timeout(ACTION_TIMEOUT, child.wait_with_output())
                .await
                .map_err(|_| {
                    format!(
                        "`{command}` did not finish within {}s",
                        ACTION_TIMEOUT.as_secs()
                    )
                })?
                .map_err(|e| format!("`{command}`: {e}"))?;
            if output.status.success() {
                Ok(())
            } else {
                let stderr = String::from_utf8_lossy(&output.stderr);
                Err(format!(
                    "`{command}` exited with {}: {}",
                    output.status,
                    stderr.trim()
                ))
            }
        }
        Action::Http { method, url, json } => {
            let body = match json {
                None => None,
                Some(expr) => {
                    let mut bytes = Vec::new();
                    json_into(expr, env, &mut bytes).map_err(|e| format!("{method} {url}: {e}"))?;
                    Some(Payload {
                        bytes,
                        content_type: "application/json",
                    })
                }
            };
            let prepared = client.prepare(&Endpoint::generic(), method, url, &[], &[], body)?;
            let received = client
                .send(prepared, Duration::from_std(ACTION_TIMEOUT), false, true)
                .await
                .map_err(|class| format!("{method} {url}: {class:?}"))?;
            if received.status >= 400 {
                return Err(format!("{method} {url}: status {}", received.status));
            }
            Ok(())
        }
    }
}
