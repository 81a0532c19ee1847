//! Log events captured as text, to prove what is logged and that no secret ever is.
//!
//! The one capture helper of the workspace: the runtime's unit tests include it, and so do
//! the integration tests of `tests/` (by path, since neither crate can depend on the other
//! for its tests).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything written to it, shared by its clones.
#[derive(Clone, Default)]
pub(crate) struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// A subscriber that writes every event, at every level, here.
    ///
    /// Without timestamps: a test that asserts a value is absent from an event (a path's
    /// `42`, say) must not fail because the clock's microseconds happened to spell it.
    pub(crate) fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        let sink = self.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_ansi(false)
            .without_time()
            .with_writer(move || sink.clone())
            .finish()
    }

    /// Every event of this process at every level, in one buffer shared by the tests of a
    /// test binary: the global subscriber, installed on first use.
    #[allow(
        dead_code,
        reason = "for integration tests, whose events come from other threads"
    )]
    pub(crate) fn global() -> &'static Self {
        static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = CapturedLogs::default();
            tracing::subscriber::set_global_default(logs.subscriber()).unwrap();
            logs
        })
    }

    /// What was logged so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
