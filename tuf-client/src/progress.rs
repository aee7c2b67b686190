//! A progress bar for large downloads on a terminal: a [`Fetcher`] decorator.

use std::io::Write;

use indicatif::{ProgressBar, ProgressStyle};

use crate::fetcher::{FetchError, Fetcher};

/// Downloads of at least this many bytes (by their cap) get a progress bar.
const MIN_BYTES_FOR_BAR: u64 = 1 << 20;

/// Wraps a fetcher and draws a progress bar on standard error for large downloads.
pub struct ProgressFetcher<F> {
    inner: F,
}

impl<F: Fetcher> ProgressFetcher<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> Self {
        ProgressFetcher { inner }
    }
}

struct Counting<'a> {
    sink: &'a mut dyn Write,
    bar: &'a ProgressBar,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.sink.write(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.sink.flush()
    }
}

impl<F: Fetcher> Fetcher for ProgressFetcher<F> {
    fn fetch_into(
        &self,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, FetchError> {
        if max_length < MIN_BYTES_FOR_BAR {
            return self.inner.fetch_into(url, max_length, sink);
        }
        let bar = ProgressBar::new(max_length);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(url.rsplit('/').next().unwrap_or(url).to_owned());
        let mut counting = Counting { sink, bar: &bar };
        let result = self.inner.fetch_into(url, max_length, &mut counting);
        bar.finish_and_clear();
        result
    }
}
