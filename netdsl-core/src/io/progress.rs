//! A progress bar for long runs, on stderr, only when a person is watching.
//!
//! The bar is [`indicatif`]'s, drawn to stderr at most 10 times a second. It draws only when
//! stderr is a terminal (indicatif hides a stderr bar otherwise), `CI` is not set and
//! `NETDSL_PROGRESS` is not `0`; otherwise it does nothing at all (no output, no clock reads).
//! [`Progress::tick`] stays cheap on the stepping loop: it compares the step with a threshold and
//! hands the position to indicatif only every so many steps (adapted so that happens about every
//! 10 ms), because indicatif reads the clock and touches atomics on every update.
//!
//! ```
//! use netdsl_core::io::progress::Progress;
//! let mut p = Progress::new(30_000, "MemristorNet");
//! for step in 1..=30_000 {
//!     // ... step the simulator ...
//!     p.tick(step);
//! }
//! p.finish();
//! ```

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressState, ProgressStyle};

/// Aim for an update of the bar about this often.
const CHECK: Duration = Duration::from_millis(10);
/// Most redraws per second.
const REDRAW_HZ: u8 = 10;
/// The bar's text: `label [#######.......]  42%  12600/30000 steps  1s  10k steps/s  ETA 2s`, the bar
/// taking the width the terminal has left.
const TEMPLATE: &str =
    "{prefix}[{wide_bar}] {percent:>3}%  {pos}/{len} steps  {elapsed}  {rate} steps/s  ETA {eta}";

/// A progress bar over `total` steps.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    /// `None` when disabled: nothing is drawn and `tick` never gets past its comparison.
    bar: Option<ProgressBar>,
    /// The next step at which `tick` updates the bar.
    next_check: usize,
    /// Steps between updates.
    every: usize,
    last_checked: (usize, Instant),
    finished: bool,
}

/// Whether a bar should be drawn, given whether stderr is a terminal and the values of `CI` and
/// `NETDSL_PROGRESS`.
pub fn should_draw(stderr_is_terminal: bool, ci: Option<&OsStr>, setting: Option<&OsStr>) -> bool {
    stderr_is_terminal && ci.is_none() && setting.is_none_or(|v| v != "0")
}

/// A rate as `950`, `12.5k` or `3.2M`.
fn human_rate(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        "?".into()
    } else if r >= 1e6 {
        format!("{:.1}M", r / 1e6)
    } else if r >= 1e4 {
        format!("{:.0}k", r / 1e3)
    } else if r >= 1e3 {
        format!("{:.1}k", r / 1e3)
    } else {
        format!("{r:.0}")
    }
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template(TEMPLATE)
        .expect("the template is valid")
        .progress_chars("#.")
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&human_rate(s.per_sec()));
        })
}

impl Progress {
    /// A bar for `total_steps` steps named `label`, drawn if [`should_draw`] says so for this
    /// process's stderr and environment.
    pub fn new(total_steps: usize, label: impl Into<String>) -> Self {
        let on = should_draw(
            std::io::stderr().is_terminal(),
            std::env::var_os("CI").as_deref(),
            std::env::var_os("NETDSL_PROGRESS").as_deref(),
        );
        Self::with_enabled(total_steps, label, on)
    }

    /// A bar that draws (on stderr, if it is a terminal) exactly when `enabled` is true.
    pub fn with_enabled(total_steps: usize, label: impl Into<String>, enabled: bool) -> Self {
        let target = || ProgressDrawTarget::stderr_with_hz(REDRAW_HZ);
        Self::with_target(total_steps, label.into(), enabled.then(target))
    }

    fn with_target(total: usize, label: String, target: Option<ProgressDrawTarget>) -> Self {
        let bar = target.map(|t| {
            let prefix = if label.is_empty() { label } else { label + " " };
            ProgressBar::with_draw_target(Some(total as u64), t)
                .with_style(style())
                .with_prefix(prefix)
                // Dropped unfinished (a run that failed): leave the bar where it stopped.
                .with_finish(ProgressFinish::Abandon)
        });
        Progress {
            total,
            next_check: if bar.is_some() { 1 } else { usize::MAX },
            finished: bar.is_none(),
            bar,
            every: 1,
            last_checked: (0, Instant::now()),
        }
    }

    /// Whether this bar draws anything.
    pub fn is_enabled(&self) -> bool {
        self.bar.is_some()
    }

    /// Reports that `step` steps of the total are done. Cheap when nothing needs redrawing.
    #[inline]
    pub fn tick(&mut self, step: usize) {
        if step >= self.next_check {
            self.check(step);
        }
    }

    #[cold]
    fn check(&mut self, step: usize) {
        let now = Instant::now();
        // Adapt the update interval to the measured step rate.
        let (prev_step, prev_time) = self.last_checked;
        let dt = now.duration_since(prev_time);
        if step > prev_step && !dt.is_zero() {
            let per_step = dt.as_secs_f64() / (step - prev_step) as f64;
            let want = (CHECK.as_secs_f64() / per_step) as usize;
            // Change gradually: at most ×4 up per check.
            self.every = want.clamp(1, self.every.saturating_mul(4).max(1));
        }
        self.last_checked = (step, now);
        self.next_check = step.saturating_add(self.every);
        if let Some(bar) = &self.bar {
            // indicatif redraws at most REDRAW_HZ times a second.
            bar.set_position(step as u64);
        }
    }

    /// Draws the final state (all steps, total time) and ends the line. Calling it again, or on a
    /// disabled bar, does nothing.
    pub fn finish(&mut self) {
        self.finish_at(self.total);
    }

    /// Like [`Progress::finish`] for a run that stopped after `step` steps (an error).
    pub fn finish_at(&mut self, step: usize) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.next_check = usize::MAX;
        if let Some(bar) = &self.bar {
            bar.set_position(step as u64);
            bar.abandon();
        }
    }

    /// Where the bar stands (tests).
    #[cfg(test)]
    fn position(&self) -> Option<u64> {
        self.bar.as_ref().map(ProgressBar::position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawing_rules() {
        let zero = OsStr::new("0");
        let one = OsStr::new("1");
        let t = OsStr::new("true");
        assert!(should_draw(true, None, None));
        assert!(should_draw(true, None, Some(one)));
        assert!(!should_draw(false, None, None));
        assert!(!should_draw(false, None, Some(one)));
        assert!(!should_draw(true, Some(t), None));
        assert!(!should_draw(true, Some(OsStr::new("")), None));
        assert!(!should_draw(true, None, Some(zero)));
    }

    #[test]
    fn rate_text_and_template() {
        assert_eq!(human_rate(950.0), "950");
        assert_eq!(human_rate(12_500.0), "12k");
        assert_eq!(human_rate(3.2e6), "3.2M");
        assert_eq!(human_rate(0.0), "?");
        // The template parses and the custom key is known.
        let _ = style();
    }

    #[test]
    fn disabled_bar_is_inert() {
        let mut p = Progress::with_enabled(1000, "quiet", false);
        assert!(!p.is_enabled());
        for s in 0..=1000 {
            p.tick(s);
        }
        assert_eq!(p.next_check, usize::MAX);
        p.finish();
        assert_eq!(p.position(), None);
    }

    #[test]
    fn under_test_harness_nothing_is_drawn() {
        // cargo test captures stderr (not a terminal), and CI sets CI: never drawn here.
        let p = Progress::new(10, "t");
        if std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
            assert!(!p.is_enabled());
        }
        // Even when asked to draw, indicatif hides a stderr bar that is not a terminal.
        if !std::io::stderr().is_terminal() {
            let p = Progress::with_enabled(10, "t", true);
            assert!(p.bar.as_ref().is_some_and(ProgressBar::is_hidden));
        }
    }

    #[test]
    fn enabled_bar_updates_rarely() {
        let target = Some(ProgressDrawTarget::hidden());
        let mut p = Progress::with_target(2_000_000, "fast".into(), target);
        assert!(p.is_enabled());
        let mut checks = 0;
        let mut last = p.next_check;
        for s in 1..=2_000_000 {
            p.tick(s);
            if p.next_check != last {
                checks += 1;
                last = p.next_check;
            }
        }
        assert!(checks < 20_000, "{checks} updates for 2e6 cheap steps");
        assert!(p.position().is_some_and(|pos| pos > 1_000_000));
        p.finish();
        assert!(p.finished);
        assert_eq!(p.position(), Some(2_000_000));
        p.finish(); // idempotent
        assert!(p.bar.as_ref().is_some_and(ProgressBar::is_finished));
        // A failed run leaves the bar where it stopped.
        let mut q = Progress::with_target(100, String::new(), Some(ProgressDrawTarget::hidden()));
        q.tick(40);
        q.finish_at(41);
        assert_eq!(q.position(), Some(41));
    }
}
