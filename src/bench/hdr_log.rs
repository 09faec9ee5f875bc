//! The latency of every second in HdrHistogram's interval log format (V2, compressed), readable by
//! HdrHistogram's own tools (HistogramLogProcessor, the online plotter). Values are nanoseconds.

use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub struct HdrLog {
    path: PathBuf,
    file: BufWriter<File>,
    serializer: V2DeflateSerializer,
    /// The first write error; later intervals are skipped and `finish` reports it.
    error: Option<String>,
}

impl HdrLog {
    pub fn create(path: &Path) -> Result<Self, String> {
        let fail = |e: std::io::Error| format!("--hdr-log '{}': {e}", path.display());
        let file = File::create(path).map_err(fail)?;
        let mut log = Self {
            path: path.to_owned(),
            file: BufWriter::new(file),
            serializer: V2DeflateSerializer::new(),
            error: None,
        };
        let now = SystemTime::now();
        IntervalLogWriterBuilder::new()
            .add_comment("mqscope bench: end-to-end latency in nanoseconds, one histogram a second")
            .with_start_time(now)
            .with_base_time(now)
            .begin_log_with(&mut log.file, &mut log.serializer)
            .map_err(fail)?;
        log.file
            .write_all(b"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n")
            .map_err(fail)?;
        Ok(log)
    }

    /// One interval starting `since_start` after the base time, one second long.
    pub fn interval(&mut self, h: &Histogram<u64>, since_start: Duration) {
        if self.error.is_some() {
            return;
        }
        // A builder with no headers writes nothing of its own: this only appends the interval.
        let result = IntervalLogWriterBuilder::new()
            .begin_log_with(&mut self.file, &mut self.serializer)
            .map_err(|e| e.to_string())
            .and_then(|mut w| {
                w.write_histogram(h, since_start, Duration::from_secs(1), None).map_err(|e| e.to_string())
            });
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    /// Flushes; the first error of the run, if there was one.
    pub fn finish(&mut self) -> Result<(), String> {
        if let Some(e) = self.error.take() {
            return Err(format!("--hdr-log '{}': {e}", self.path.display()));
        }
        self.file
            .flush()
            .and_then(|()| self.file.get_ref().sync_all())
            .map_err(|e| format!("--hdr-log '{}': {e}", self.path.display()))
    }
}
