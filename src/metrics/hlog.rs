//! HdrHistogram interval logs (the format of the Java `HistogramLogWriter`, read by
//! `HistogramLogProcessor`, HdrHistogram's plotters and `hdrhistogram::serialization::interval_log`):
//! a few header lines, then one line per interval
//! `[Tag=NAME,]START,LENGTH,MAX,BASE64(V2 deflate histogram)`, times in seconds.
//!
//! `stress` writes START relative to the `#[BaseTime: …]` header (the scenario's start) and
//! values in microseconds.

use std::io::{self, Write};
use std::time::{Duration, SystemTime};

use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, Tag,
};

use super::Histogram;

/// Writes one interval log.
pub struct IntervalLogWriter<W: Write> {
    out: W,
    serializer: V2DeflateSerializer,
}

impl<W: Write> IntervalLogWriter<W> {
    /// Writes the header: `comments` (one `#` line each), the format version, `StartTime` and
    /// `BaseTime` (both `start`, so interval times are offsets from it) and the legend.
    /// `start_text` is shown beside the epoch seconds (an RFC 3339 time).
    pub fn begin(
        mut out: W,
        start: SystemTime,
        start_text: &str,
        comments: &[String],
    ) -> io::Result<Self> {
        for c in comments {
            for line in c.split('\n') {
                writeln!(out, "#{line}")?;
            }
        }
        let secs = start
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        writeln!(out, "#[Histogram log format version 1.3]")?;
        writeln!(
            out,
            "#[StartTime: {secs:.3} (seconds since epoch), {start_text}]"
        )?;
        writeln!(
            out,
            "#[BaseTime: {secs:.3} (seconds since epoch), {start_text}]"
        )?;
        writeln!(
            out,
            "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""
        )?;
        Ok(Self {
            out,
            serializer: V2DeflateSerializer::new(),
        })
    }

    /// Appends one interval (`start` since the BaseTime); an empty histogram writes nothing.
    /// A tag must not contain `,`, ` `, `\r` or `\n` (it is then left out).
    pub fn interval(
        &mut self,
        h: &Histogram,
        start: Duration,
        length: Duration,
        tag: Option<&str>,
    ) -> io::Result<()> {
        let Some(hdr) = h.hdr() else { return Ok(()) };
        let mut writer =
            IntervalLogWriterBuilder::new().begin_log_with(&mut self.out, &mut self.serializer)?;
        writer
            .write_histogram(hdr, start, length, tag.and_then(Tag::new))
            .map_err(|e| io::Error::other(e.to_string()))
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

/// One interval read back from a log.
#[derive(Clone, Debug)]
pub struct LoggedInterval {
    /// Since the log's BaseTime (since the epoch when it has none).
    pub start: Duration,
    pub length: Duration,
    pub tag: Option<String>,
    pub histogram: Histogram,
}

/// A whole log read back.
#[derive(Clone, Debug, Default)]
pub struct IntervalLog {
    /// The first `#[BaseTime: …]`, since the epoch.
    pub base_time: Option<Duration>,
    pub intervals: Vec<LoggedInterval>,
}

/// Reads every interval of a log, decoding its histograms.
pub fn read_interval_log(bytes: &[u8]) -> Result<IntervalLog, String> {
    let mut out = IntervalLog::default();
    for entry in IntervalLogIterator::new(bytes) {
        match entry {
            Ok(LogEntry::Interval(i)) => out.intervals.push(LoggedInterval {
                start: i.start_timestamp(),
                length: i.duration(),
                tag: i.tag().map(|t| t.as_str().to_string()),
                histogram: Histogram::from_v2_base64(i.encoded_histogram())?,
            }),
            Ok(LogEntry::BaseTime(t)) => {
                out.base_time.get_or_insert(t);
            }
            Ok(LogEntry::StartTime(_)) => {}
            Err(e) => return Err(format!("not an interval log: {e:?}")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_round_trip_through_the_log_format() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_millis(1_714_564_800_250);
        let mut log = IntervalLogWriter::begin(
            Vec::new(),
            start,
            "2024-05-01T12:00:00.250000Z",
            &["stress: test \"t\"\nsecond line".into()],
        )
        .unwrap();
        let mut a = Histogram::new();
        for v in [1_000, 20_000, 300_000] {
            a.record(v);
        }
        let mut b = Histogram::new();
        b.record(42);
        log.interval(&a, Duration::ZERO, Duration::from_secs(1), Some("latency"))
            .unwrap();
        log.interval(
            &Histogram::new(),
            Duration::from_secs(1),
            Duration::from_secs(1),
            None,
        )
        .unwrap();
        log.interval(&b, Duration::from_secs(2), Duration::from_secs(1), None)
            .unwrap();
        let bytes = log.into_inner();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with("#stress: test \"t\"\n#second line\n"),
            "{text}"
        );
        assert!(text.contains("#[BaseTime: 1714564800.250 (seconds since epoch)"));
        let back = read_interval_log(&bytes).unwrap();
        assert_eq!(
            back.base_time,
            Some(Duration::from_millis(1_714_564_800_250))
        );
        let back = back.intervals;
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].tag.as_deref(), Some("latency"));
        assert_eq!(back[0].histogram.count(), 3);
        assert_eq!(back[0].histogram.percentile(0.5), a.percentile(0.5));
        assert_eq!(back[1].start, Duration::from_secs(2));
        assert_eq!(back[1].histogram.count(), 1);
        assert!(read_interval_log(b"0.0,1.0,nonsense\n").is_err());
    }
}
