//! Running many scenarios at once (`run --jobs N`), with verdicts identical to a run one after
//! the other.
//!
//! Each scenario starts its own simulator (loopback, port 0) and its own connector, so scenarios
//! share nothing but the machine. `N` worker threads pull scenario names from one queue; each
//! drives its scenario with [`tokio::runtime::Handle::block_on`] on one shared multi-thread
//! runtime (the simulators' servers run on its workers). A thread per job rather than one task
//! polling `N` futures: the reference connector's future is not `Send` (it is polled where it was
//! made), and one thread polling every connector would make the connectors' own work (hashing,
//! base64) take turns on one core.
//!
//! Whatever the completion order, verdicts come back in the order the names were given (the
//! suite's names are sorted), so every report is laid out as a sequential run's.
//!
//! # Timing-judged rules under load
//!
//! Rules judge a run's timing from the simulator's access log, within one run. Load (another
//! scenario beside it) only delays things, and for most rules a delay cannot change a verdict:
//!
//! - RETRY-AFTER measures from the answer being ready to the next request's arrival, both taken
//!   by the simulator: a late connector waits longer, never shorter;
//! - CONCURRENCY counts requests in flight in the simulator, which releases a request's count
//!   before its answer leaves, so a slow connector sees no more in flight than a fast one;
//! - TOKEN-REFRESH judges every 401 by what follows it; a longer run fetches more tokens, which
//!   the rule accepts;
//! - `run_timeout` (10 minutes) is far above any scenario's run (seconds).
//!
//! BACKOFF is the exception: it compares waits with each other (the last of three or more must be
//! 1.5 × the first), so a stall that lengthens an early wait and not the later ones could make
//! waits that grow look as if they did not. Its scenarios (the catalogue's, see
//! [`runs_alone`]) therefore run alone, after the others, one at a time.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::judge::ScenarioVerdict;
use crate::requirements::Rule;
use crate::runner::Execution;
use crate::suite::{Suite, SuiteError};

/// A scenario that failed to run, by name.
#[derive(Debug, thiserror::Error)]
#[error("scenario {name}")]
pub struct ScheduleError {
    /// The scenario.
    pub name: String,
    /// Why it could not be judged.
    #[source]
    pub source: Box<SuiteError>,
}

/// The rule whose verdict a stall could flip (see the module docs).
const LOAD_SENSITIVE: &[&str] = &["BACKOFF"];

/// Whether a scenario runs alone, even with `--jobs` above 1: the catalogue lists it as
/// exercising a rule that compares a run's waits with each other (BACKOFF).
pub fn runs_alone(name: &str) -> bool {
    LOAD_SENSITIVE.iter().filter_map(|id| Rule::from_id(id)).any(|rule| rule.requirement().scenarios.contains(&name))
}

/// What [`run_all`] tells as it goes: each name as its scenario starts, and each execution with
/// its verdict once judged (on the thread that ran it; a certification bundle records it there,
/// so that no execution waits in memory for the others).
pub struct Progress<'a> {
    /// A scenario starts.
    pub started: &'a (dyn Fn(&str) + Sync),
    /// A scenario was run and judged.
    pub judged: &'a (dyn Fn(&Execution, &ScenarioVerdict) + Sync),
}

/// Runs and judges `names` with up to `jobs` scenarios at once (`jobs` 0 is taken as 1), telling
/// `progress` as it goes. Verdicts are in the order of `names`. On an error, no
/// new scenario starts, the running ones finish, and the first error in the order of `names` is
/// returned.
pub fn run_all(
    suite: &Suite,
    names: &[String],
    jobs: usize,
    runtime: &tokio::runtime::Runtime,
    progress: &Progress<'_>,
) -> Result<Vec<ScenarioVerdict>, ScheduleError> {
    let (alone, together): (Vec<usize>, Vec<usize>) = (0..names.len()).partition(|&i| jobs > 1 && runs_alone(&names[i]));
    let mut results: Vec<Option<Result<ScenarioVerdict, SuiteError>>> = (0..names.len()).map(|_| None).collect();
    for (i, r) in run_queue(suite, names, together, jobs.max(1), runtime, progress) {
        results[i] = Some(r);
    }
    if results.iter().all(|r| !matches!(r, Some(Err(_)))) {
        for (i, r) in run_queue(suite, names, alone, 1, runtime, progress) {
            results[i] = Some(r);
        }
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Some(Ok(v)) => out.push(v),
            Some(Err(source)) => return Err(ScheduleError { name: names[i].clone(), source: Box::new(source) }),
            // Not run: an earlier error (in completion order) stopped the queue.
            None => {}
        }
    }
    Ok(out)
}

/// Runs and judges the scenarios at `queue` (positions in `names`) on `jobs` threads.
fn run_queue(
    suite: &Suite,
    names: &[String],
    queue: Vec<usize>,
    jobs: usize,
    runtime: &tokio::runtime::Runtime,
    progress: &Progress<'_>,
) -> Vec<(usize, Result<ScenarioVerdict, SuiteError>)> {
    pool(queue, jobs, |i| {
        (progress.started)(&names[i]);
        runtime.handle().block_on(suite.run(&names[i])).map(|(exec, verdict)| {
            (progress.judged)(&exec, &verdict);
            verdict
        })
    })
}

/// Calls `work` on each item of `queue`, on `jobs` threads (this one and `jobs - 1` more), each
/// taking the next item when it is free; no item is taken after an error. Results in completion
/// order, with their items.
fn pool<T: Send, E: Send>(queue: Vec<usize>, jobs: usize, work: impl Fn(usize) -> Result<T, E> + Sync) -> Vec<(usize, Result<T, E>)> {
    let queue = Mutex::new(VecDeque::from(queue));
    let done: Mutex<Vec<(usize, Result<T, E>)>> = Mutex::new(Vec::new());
    let next = || -> Option<usize> {
        let failed = done.lock().expect("results lock").iter().any(|(_, r)| r.is_err());
        if failed { None } else { queue.lock().expect("queue lock").pop_front() }
    };
    let worker = || {
        while let Some(i) = next() {
            let result = work(i);
            done.lock().expect("results lock").push((i, result));
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..jobs {
            scope.spawn(worker);
        }
        worker();
    });
    done.into_inner().expect("results lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many calls of `work` were running at most at once, over `items` items on `jobs` threads.
    /// The first calls wait (5 s at most) until as many as could run at once have started.
    fn most_at_once(items: usize, jobs: usize) -> usize {
        let (started, now, most) = (Mutex::new(0usize), Mutex::new(0usize), Mutex::new(0usize));
        let out = pool((0..items).collect(), jobs, |i| {
            *started.lock().unwrap() += 1;
            let n = {
                let mut now = now.lock().unwrap();
                *now += 1;
                *now
            };
            let mut m = most.lock().unwrap();
            *m = (*m).max(n);
            drop(m);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while i < jobs && *started.lock().unwrap() < jobs.min(items) && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            *now.lock().unwrap() -= 1;
            Ok::<usize, ()>(i)
        });
        let mut seen: Vec<usize> = out
            .into_iter()
            .map(|(i, r)| {
                assert_eq!(r, Ok(i));
                i
            })
            .collect();
        seen.sort();
        assert_eq!(seen, (0..items).collect::<Vec<_>>(), "every item once");
        most.into_inner().unwrap()
    }

    #[test]
    fn the_pool_runs_up_to_jobs_items_at_once() {
        assert_eq!(most_at_once(6, 1), 1);
        assert_eq!(most_at_once(6, 3), 3);
        assert_eq!(most_at_once(2, 4), 2);
    }

    #[test]
    fn the_pool_takes_no_item_after_an_error() {
        let out = pool((0..10).collect(), 1, |i| if i == 2 { Err(i) } else { Ok(i) });
        let taken: Vec<usize> = out.iter().map(|(i, _)| *i).collect();
        assert_eq!(taken, [0, 1, 2]);
    }

    #[test]
    fn the_backoff_scenarios_run_alone_and_the_others_do_not() {
        assert!(runs_alone("backoff") && runs_alone("soak"));
        assert!(!runs_alone("retry-after") && !runs_alone("window") && !runs_alone("token-refresh"));
    }
}
