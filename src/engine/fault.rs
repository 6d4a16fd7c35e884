//! Client-side fault injection (`inject at client`): which rule, if any, fires for call number
//! `k` of a scenario, and what it does to that attempt. The decision depends only on
//! `(seed, scenario name, k)` (and, for a `when` rule, on what its expression reads), never on
//! how calls interleave: each decision draws from its own ChaCha8 stream, `k`, of a generator
//! keyed by `(seed, scenario)`. No I/O and no sleeping here; `request.rs` carries the
//! decision out.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::eval::{Record, Scope, eval};
use crate::plan::{Chaos, Fault, FaultRule, RuleWhen, Scenario};
use crate::units::Duration;

/// A fault rule that fired for one call.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Index of the rule: into the scenario's `rules`, then (for a `chaos` window) into the
    /// chaos scenarios' rules, numbered on after the scenario's own.
    pub rule: usize,
    /// Delay before the outcome (zero when the rule has none).
    pub delay: Duration,
    pub fault: Option<Fault>,
}

/// What an attempt does once its injected delay has passed.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Go to the network as usual.
    Send,
    /// Answer with this status without sending (a `Retry-After` header when given).
    Respond {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Wait this long more, then fail as a timeout.
    Timeout(Duration),
    /// Fail at once as a connection error.
    Connect,
    /// Fail at once as a reset connection (proxy-only faults that reached the client).
    Reset,
}

impl Decision {
    /// The delay to sleep first and the effect after it. A `timeout` fault lasts the
    /// request's timeout, or the rule's own delay (`latency_error(P, D, timeout)` lasts `D`).
    pub fn effect(&self, request_timeout: Duration) -> (Duration, Effect) {
        match &self.fault {
            None => (self.delay, Effect::Send),
            Some(Fault::Status {
                status,
                retry_after,
            }) => (
                self.delay,
                Effect::Respond {
                    status: *status,
                    retry_after: *retry_after,
                },
            ),
            Some(Fault::Timeout | Fault::Hang) => {
                let wait = if self.delay > Duration::ZERO {
                    self.delay
                } else {
                    request_timeout
                };
                (Duration::ZERO, Effect::Timeout(wait))
            }
            Some(Fault::ConnectionError) => (self.delay, Effect::Connect),
            Some(Fault::Reset | Fault::Truncate) => (self.delay, Effect::Reset),
            // The checker rejects wire faults at the client; a bandwidth cap is a no-op here.
            Some(Fault::Bandwidth { .. } | Fault::CloseAfter { .. }) => (self.delay, Effect::Send),
        }
    }
}

/// The fault rules of one scenario run, with an optional `chaos` window of extra rules.
#[derive(Clone, Debug)]
pub struct FaultInjector {
    rules: Vec<FaultRule>,
    chaos_rules: Vec<FaultRule>,
    /// `[from, to)` in µs since the scenario's start.
    chaos_window: Option<(u64, u64)>,
    base: ChaCha8Rng,
}

/// A stable 64-bit mix of a seed and a name (FNV-1a, then a SplitMix64 finaliser): the same on
/// every platform and Rust version, unlike `std`'s hashers.
pub fn mix(seed: u64, name: &str, salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed
        .to_le_bytes()
        .iter()
        .chain(name.as_bytes())
        .chain(&salt.to_le_bytes())
    {
        h ^= u64::from(*byte);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

impl FaultInjector {
    pub fn new(seed: u64, scenario: &Scenario, chaos: Option<&Chaos>) -> Self {
        let (chaos_rules, chaos_window) = match chaos {
            Some(c) => (
                c.scenarios
                    .iter()
                    .flat_map(|s| s.rules.iter().cloned())
                    .collect(),
                Some((c.from.as_micros(), c.to.as_micros())),
            ),
            None => (Vec::new(), None),
        };
        FaultInjector {
            rules: scenario.rules.clone(),
            chaos_rules,
            chaos_window,
            base: ChaCha8Rng::seed_from_u64(mix(seed, &scenario.name, 0x0066_6175_6c74)),
        }
    }

    /// True when no rule can ever fire.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.chaos_rules.is_empty()
    }

    /// The first rule that fires for `record.call`, at `at_us` since the scenario's start.
    pub fn decide(&self, at_us: u64, record: &Record<'_>) -> Option<Decision> {
        self.decide_in(at_us, record.call, record)
    }

    /// [`Self::decide`] for call number `call`, with `when` expressions read from `scope`
    /// (the proxy's scope adds the request's method, path, headers and body size).
    pub fn decide_in<S: Scope + Clone>(
        &self,
        at_us: u64,
        call: u64,
        scope: &S,
    ) -> Option<Decision> {
        if self.is_empty() {
            return None;
        }
        let mut rng = self.base.clone();
        rng.set_stream(call);
        rng.set_word_pos(0);
        let in_chaos = self
            .chaos_window
            .is_some_and(|(from, to)| at_us >= from && at_us < to);
        let chaos = if in_chaos {
            self.chaos_rules.as_slice()
        } else {
            &[]
        };
        for (index, rule) in self.rules.iter().chain(chaos).enumerate() {
            let fires = match &rule.when {
                // One draw per probability rule, fired or not: rule i always sees the same draw.
                RuleWhen::Probability(p) => rng.random::<f64>() < *p,
                RuleWhen::Burst { start, length } => call >= *start && call - *start < *length,
                RuleWhen::Calls(calls) => calls.contains(&call),
                RuleWhen::Expr(expr) => {
                    let mut scope = scope.clone();
                    eval(expr, &mut scope).is_ok_and(|v| v.truthy())
                }
            };
            if fires {
                let delay = match rule.delay {
                    None => Duration::ZERO,
                    Some((lo, hi)) if hi <= lo => lo,
                    Some((lo, hi)) => Duration(rng.random_range(lo.0..=hi.0)),
                };
                return Some(Decision {
                    rule: index,
                    delay,
                    fault: rule.fault.clone(),
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::BinaryOp;
    use crate::plan::{Builtin, Expr};

    fn rule(when: RuleWhen, fault: Option<Fault>) -> FaultRule {
        FaultRule {
            label: String::new(),
            when,
            delay: None,
            fault,
        }
    }

    fn scenario(rules: Vec<FaultRule>) -> Scenario {
        Scenario {
            name: "s".into(),
            parts: vec!["s".into()],
            rules,
        }
    }

    fn record(call: u64) -> Record<'static> {
        Record {
            call,
            attempt: 0,
            user: 0,
            iteration: 0,
            step: "chat",
            status: None,
            latency_us: 0,
            injected: false,
            fault: None,
            captures: &[],
            capture_names: &[],
        }
    }

    fn fired(inj: &FaultInjector, calls: u64) -> Vec<u64> {
        (0..calls)
            .filter(|k| inj.decide(0, &record(*k)).is_some())
            .collect()
    }

    const S503: Fault = Fault::Status {
        status: 503,
        retry_after: None,
    };

    #[test]
    fn nth_call_and_burst_pick_exact_calls() {
        let nth = FaultInjector::new(
            1,
            &scenario(vec![rule(RuleWhen::Calls(vec![0, 2]), Some(S503))]),
            None,
        );
        assert_eq!(fired(&nth, 5), vec![0, 2]);
        let burst = rule(
            RuleWhen::Burst {
                start: 3,
                length: 4,
            },
            Some(S503),
        );
        assert_eq!(
            fired(&FaultInjector::new(1, &scenario(vec![burst]), None), 10),
            vec![3, 4, 5, 6]
        );
    }

    #[test]
    fn probability_depends_only_on_seed_scenario_and_call() {
        let s = scenario(vec![rule(RuleWhen::Probability(0.3), Some(S503))]);
        let a = FaultInjector::new(42, &s, None);
        let forward = fired(&a, 1000);
        let backward: Vec<u64> = (0..1000)
            .rev()
            .filter(|k| a.decide(0, &record(*k)).is_some())
            .collect();
        assert_eq!(forward, backward.into_iter().rev().collect::<Vec<_>>());
        assert!(
            (250..350).contains(&forward.len()),
            "about 30%: {}",
            forward.len()
        );
        assert_eq!(fired(&FaultInjector::new(42, &s, None), 1000), forward);
        assert_ne!(fired(&FaultInjector::new(43, &s, None), 1000), forward);
        let mut other = s.clone();
        other.name = "t".into();
        assert_ne!(fired(&FaultInjector::new(42, &other, None), 1000), forward);
    }

    #[test]
    fn first_rule_that_fires_wins() {
        let s = scenario(vec![
            rule(RuleWhen::Calls(vec![1]), Some(Fault::Timeout)),
            rule(RuleWhen::Probability(1.0), Some(S503)),
        ]);
        let inj = FaultInjector::new(0, &s, None);
        assert_eq!(
            inj.decide(0, &record(1)).unwrap().fault,
            Some(Fault::Timeout)
        );
        assert_eq!(
            inj.decide(0, &record(2)).unwrap(),
            Decision {
                rule: 1,
                delay: Duration::ZERO,
                fault: Some(S503)
            }
        );
    }

    #[test]
    fn when_rules_read_the_call_number() {
        let every_tenth = Expr::Binary {
            op: BinaryOp::Eq,
            lhs: Box::new(Expr::Binary {
                op: BinaryOp::Mod,
                lhs: Box::new(Expr::Builtin(Builtin::Call)),
                rhs: Box::new(Expr::Number(10.0)),
            }),
            rhs: Box::new(Expr::Number(0.0)),
        };
        let inj = FaultInjector::new(
            0,
            &scenario(vec![rule(
                RuleWhen::Expr(every_tenth),
                Some(Fault::Timeout),
            )]),
            None,
        );
        assert_eq!(fired(&inj, 25), vec![0, 10, 20]);
    }

    #[test]
    fn delays_are_seeded_and_in_range() {
        let mut r = rule(RuleWhen::Probability(1.0), None);
        r.delay = Some((Duration::from_millis(50), Duration::from_millis(250)));
        let inj = FaultInjector::new(9, &scenario(vec![r]), None);
        for k in 0..100 {
            let d = inj.decide(0, &record(k)).unwrap();
            assert!(d.delay >= Duration::from_millis(50) && d.delay <= Duration::from_millis(250));
            assert_eq!(inj.decide(0, &record(k)).unwrap(), d);
            assert_eq!(d.effect(Duration::from_millis(30_000)).1, Effect::Send);
        }
    }

    #[test]
    fn timeout_faults_last_the_request_timeout_or_the_rule_delay() {
        let plain = Decision {
            rule: 0,
            delay: Duration::ZERO,
            fault: Some(Fault::Timeout),
        };
        assert_eq!(
            plain.effect(Duration::from_millis(50)),
            (Duration::ZERO, Effect::Timeout(Duration::from_millis(50)))
        );
        let latency_error = Decision {
            rule: 0,
            delay: Duration::from_millis(3000),
            fault: Some(Fault::Timeout),
        };
        assert_eq!(
            latency_error.effect(Duration::from_millis(50)),
            (Duration::ZERO, Effect::Timeout(Duration::from_millis(3000)))
        );
    }

    #[test]
    fn chaos_rules_apply_only_inside_the_window() {
        let chaos = Chaos {
            from: Duration::from_millis(100),
            to: Duration::from_millis(200),
            scenarios: vec![scenario(vec![rule(RuleWhen::Probability(1.0), Some(S503))])],
            start: vec![],
            stop: vec![],
            at_proxy: None,
        };
        let inj = FaultInjector::new(0, &scenario(vec![]), Some(&chaos));
        assert!(inj.decide(50_000, &record(0)).is_none());
        assert_eq!(inj.decide(150_000, &record(0)).unwrap().rule, 0);
        assert!(inj.decide(200_000, &record(0)).is_none());
    }
}
