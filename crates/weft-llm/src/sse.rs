//! Server-sent events, sans-IO: bytes in, events out.
//!
//! Bytes are kept until a line is complete and only then decoded, so a multi-byte UTF-8
//! character split across network reads arrives whole. Follows the WHATWG rules that
//! matter for API streams: `\n`, `\r\n` and `\r` line ends, `:` comments, multi-line
//! `data`, one optional space after the colon, dispatch on a blank line.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; empty when the server sent none (OpenAI never does).
    pub event: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    /// A `\r` ended the last line; a `\n` right after it belongs to that line end.
    after_cr: bool,
    event: String,
    data: String,
    has_data: bool,
}

/// A line that is not UTF-8 cannot be an event we understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidUtf8;

impl SseDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one network read and returns the events it completed.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<Vec<SseEvent>, InvalidUtf8> {
        let mut out = Vec::new();
        if self.after_cr {
            if bytes.first() == Some(&b'\n') {
                bytes = &bytes[1..];
            }
            self.after_cr = false;
        }
        let mut start = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' || b == b'\r' {
                let line = if self.buf.is_empty() {
                    std::str::from_utf8(&bytes[start..i]).map_err(|_| InvalidUtf8)?.to_owned()
                } else {
                    self.buf.extend_from_slice(&bytes[start..i]);
                    let line = String::from_utf8(std::mem::take(&mut self.buf)).map_err(|_| InvalidUtf8)?;
                    line
                };
                self.line(&line, &mut out);
                if b == b'\r' {
                    if i + 1 == bytes.len() {
                        self.after_cr = true;
                    } else if bytes[i + 1] == b'\n' {
                        i += 1;
                    }
                }
                start = i + 1;
            }
            i += 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
        Ok(out)
    }

    /// True when bytes of an unfinished line or event are held: the stream was cut off
    /// if it ends now.
    pub fn has_partial(&self) -> bool {
        !self.buf.is_empty() || self.has_data
    }

    fn line(&mut self, line: &str, out: &mut Vec<SseEvent>) {
        if line.is_empty() {
            if self.has_data {
                out.push(SseEvent { event: std::mem::take(&mut self.event), data: std::mem::take(&mut self.data) });
                self.has_data = false;
            }
            self.event.clear();
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // `id` and `retry` drive browser reconnection; API streams are not resumable.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = ": keep-alive\r\nevent: message_start\r\ndata: {\"a\":\"h\u{e9}\u{1f600}\"}\r\n\r\nevent: ping\ndata: {}\n\ndata: line one\ndata:line two\n\n\rdata: [DONE]\r\r";

    fn decode(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut d = SseDecoder::new();
        let mut out = Vec::new();
        for c in chunks {
            out.extend(d.push(c).expect("utf-8"));
        }
        assert!(!d.has_partial());
        out
    }

    fn expected() -> Vec<SseEvent> {
        let ev = |e: &str, d: &str| SseEvent { event: e.into(), data: d.into() };
        vec![
            ev("message_start", "{\"a\":\"h\u{e9}\u{1f600}\"}"),
            ev("ping", "{}"),
            ev("", "line one\nline two"),
            ev("", "[DONE]"),
        ]
    }

    #[test]
    fn whole_stream() {
        assert_eq!(decode(&[STREAM.as_bytes()]), expected());
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        // Splitting inside the 2- and 4-byte characters and between \r and \n included.
        let bytes = STREAM.as_bytes();
        for cut in 0..=bytes.len() {
            assert_eq!(decode(&[&bytes[..cut], &bytes[cut..]]), expected(), "cut at {cut}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(decode(&singles), expected());
    }

    #[test]
    fn unfinished_event_is_reported_as_partial() {
        let mut d = SseDecoder::new();
        assert!(d.push(b"event: x\ndata: {\"half\":").expect("utf-8").is_empty());
        assert!(d.has_partial());
        let mut d = SseDecoder::new();
        d.push(b"data: 1\n").expect("utf-8");
        assert!(d.has_partial(), "data without its blank line is not dispatched");
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let mut d = SseDecoder::new();
        assert_eq!(d.push(b"data: \xff\xfe\n\n"), Err(InvalidUtf8));
    }
}
