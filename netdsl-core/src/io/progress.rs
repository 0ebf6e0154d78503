//! A progress bar for long runs, on stderr, only when a person is watching.
//!
//! It draws only when stderr is a terminal, `CI` is not set and `NETDSL_PROGRESS` is not `0`;
//! otherwise it does nothing at all (no output, no clock reads). [`Progress::tick`] is cheap: it
//! compares the step with a threshold and reads the clock only every so many steps (adapted so
//! that happens about every 10 ms), and redraws at most every 100 ms.
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
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Least time between two redraws.
const REDRAW: Duration = Duration::from_millis(100);
/// Aim for a clock read about this often.
const CHECK: Duration = Duration::from_millis(10);
/// Width of the bar in characters.
const BAR: usize = 30;

/// A progress bar over `total` steps.
#[derive(Debug)]
pub struct Progress {
    total: usize,
    label: String,
    enabled: bool,
    start: Instant,
    last_draw: Option<Instant>,
    /// The next step at which `tick` reads the clock.
    next_check: usize,
    /// Steps between clock reads.
    every: usize,
    last_checked: (usize, Instant),
    drawn: bool,
    finished: bool,
    /// Where lines go: stderr, or a buffer in tests.
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    Stderr,
    #[cfg(test)]
    Buffer(Vec<u8>),
}

impl Sink {
    fn emit(&mut self, text: &str) {
        match self {
            Sink::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(text.as_bytes());
                let _ = err.flush();
            }
            #[cfg(test)]
            Sink::Buffer(b) => b.extend_from_slice(text.as_bytes()),
        }
    }
}

/// Whether a bar should be drawn, given whether stderr is a terminal and the values of `CI` and
/// `NETDSL_PROGRESS`.
pub fn should_draw(stderr_is_terminal: bool, ci: Option<&OsStr>, setting: Option<&OsStr>) -> bool {
    stderr_is_terminal && ci.is_none() && setting.is_none_or(|v| v != "0")
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

    /// A bar that draws (on stderr) exactly when `enabled` is true.
    pub fn with_enabled(total_steps: usize, label: impl Into<String>, enabled: bool) -> Self {
        let now = Instant::now();
        Progress {
            total: total_steps,
            label: label.into(),
            enabled,
            start: now,
            last_draw: None,
            next_check: if enabled { 1 } else { usize::MAX },
            every: 1,
            last_checked: (0, now),
            drawn: false,
            finished: !enabled,
            sink: Sink::Stderr,
        }
    }

    /// Whether this bar draws anything.
    pub fn is_enabled(&self) -> bool {
        self.enabled
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
        // Adapt the clock-read interval to the measured step rate.
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
        if self
            .last_draw
            .is_none_or(|t| now.duration_since(t) >= REDRAW)
        {
            self.last_draw = Some(now);
            self.draw(step, now.duration_since(self.start), false);
        }
    }

    fn draw(&mut self, step: usize, elapsed: Duration, last: bool) {
        let line = render_line(&self.label, step, self.total, elapsed);
        // \r back to column 0, \x1b[K clears what a longer previous line left.
        let end = if last { "\n" } else { "" };
        self.sink.emit(&format!("\r{line}\x1b[K{end}"));
        self.drawn = true;
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
        let elapsed = self.start.elapsed();
        self.draw(step, elapsed, true);
    }
}

impl Drop for Progress {
    /// Ends a drawn line so later output starts on a fresh one.
    fn drop(&mut self) {
        if self.enabled && self.drawn && !self.finished {
            self.sink.emit("\n");
        }
    }
}

/// A duration as `12.3 s`, `4 m 05 s` or `1 h 02 m`.
fn human_time(secs: f64) -> String {
    if !secs.is_finite() {
        return "?".into();
    }
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if secs < 3600.0 {
        let s = secs.round() as u64;
        format!("{} m {:02} s", s / 60, s % 60)
    } else {
        let m = (secs / 60.0).round() as u64;
        format!("{} h {:02} m", m / 60, m % 60)
    }
}

/// A rate as `950`, `12.5k` or `3.2M`.
fn human_rate(r: f64) -> String {
    if !r.is_finite() {
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

/// The bar's text for `step` of `total` after `elapsed`:
/// `label [#######.......]  42%  12600/30000 steps  1.2 s  10k steps/s  ETA 1.7 s`.
pub fn render_line(label: &str, step: usize, total: usize, elapsed: Duration) -> String {
    let step = step.min(total.max(step));
    let frac = if total == 0 {
        1.0
    } else {
        (step as f64 / total as f64).min(1.0)
    };
    let filled = ((frac * BAR as f64).floor() as usize).min(BAR);
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        step as f64 / secs
    } else {
        f64::NAN
    };
    let eta = if step >= total {
        "done".to_string()
    } else if rate > 0.0 {
        format!("ETA {}", human_time((total - step) as f64 / rate))
    } else {
        "ETA ?".to_string()
    };
    let label = if label.is_empty() {
        String::new()
    } else {
        format!("{label} ")
    };
    format!(
        "{label}[{}{}] {:3.0}%  {step}/{total} steps  {}  {} steps/s  {eta}",
        "#".repeat(filled),
        ".".repeat(BAR - filled),
        (frac * 100.0).floor(),
        human_time(secs),
        human_rate(rate),
    )
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
    fn line_text() {
        let l = render_line("net", 12_600, 30_000, Duration::from_millis(1200));
        assert_eq!(
            l,
            "net [############..................]  42%  12600/30000 steps  1.2 s  10k steps/s  ETA 1.7 s"
        );
        let done = render_line("", 500, 500, Duration::from_secs(125));
        assert_eq!(
            done,
            "[##############################] 100%  500/500 steps  2 m 05 s  4 steps/s  done"
        );
        let start = render_line("x", 0, 10, Duration::ZERO);
        assert!(start.ends_with("? steps/s  ETA ?"), "{start}");
        assert!(render_line("x", 0, 0, Duration::ZERO).contains("100%"));
        assert_eq!(human_time(7322.0), "2 h 02 m");
        assert_eq!(human_rate(3.2e6), "3.2M");
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
        assert!(!p.drawn);
    }

    #[test]
    fn under_test_harness_nothing_is_drawn() {
        // cargo test captures stderr (not a terminal), and CI sets CI: never drawn here.
        let p = Progress::new(10, "t");
        if std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
            assert!(!p.is_enabled());
        }
    }

    #[test]
    fn enabled_bar_reads_the_clock_rarely() {
        let mut p = Progress::with_enabled(2_000_000, "fast", true);
        p.sink = Sink::Buffer(Vec::new());
        let mut checks = 0;
        let mut last = p.next_check;
        for s in 1..=2_000_000 {
            p.tick(s);
            if p.next_check != last {
                checks += 1;
                last = p.next_check;
            }
        }
        assert!(checks < 20_000, "{checks} clock reads for 2e6 cheap steps");
        assert!(p.drawn);
        p.finish();
        assert!(p.finished);
        p.finish(); // idempotent
        let Sink::Buffer(b) = &p.sink else { panic!() };
        let text = String::from_utf8(b.clone()).unwrap();
        assert!(
            text.starts_with("\rfast [") && text.ends_with(" done\x1b[K\n"),
            "{text:?}"
        );
        assert_eq!(text.matches('\n').count(), 1);
    }
}
