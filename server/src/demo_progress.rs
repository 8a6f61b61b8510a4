//! `ledgerlock demo-data`'s progress: one bar per kind of row, with the rate
//! and the time left, drawn on stderr when it is a terminal (indicatif hides
//! them otherwise; the command then logs one line at the end).

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use ledgerlock_app::ssr::demo::{DemoSize, Progress};

pub struct Bars {
    customers: ProgressBar,
    invoices: ProgressBar,
}

impl Bars {
    pub fn new(size: &DemoSize) -> Self {
        let bars = MultiProgress::new();
        let style = ProgressStyle::with_template(
            "{prefix:>9} {wide_bar} {human_pos}/{human_len} {per_sec:>12} {eta:>4} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = |prefix: &'static str, length: u32| {
            let bar = bars.add(ProgressBar::new(u64::from(length)));
            bar.set_style(style.clone());
            bar.set_prefix(prefix);
            bar
        };
        Self {
            customers: bar("customers", size.customers),
            invoices: bar("invoices", size.invoices),
        }
    }

    pub fn show(&self, step: Progress) {
        match step {
            Progress::Customers { done, .. } => self.customers.set_position(u64::from(done)),
            Progress::Invoices { done, .. } => self.invoices.set_position(u64::from(done)),
        }
    }

    pub fn finish(&self) {
        self.customers.finish();
        self.invoices.finish();
    }
}
