//! A minimal SVG writer for SVG inlined in HTML (so no `xmlns`: the HTML parser
//! puts `<svg>` in the SVG namespace): elements with escaped attribute values and text, numbers
//! written compactly (at most two decimals, no trailing zeros, never `NaN`), and
//! nothing else. The output depends only on the calls made, so it is deterministic.

use std::fmt::Write as _;

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// A number, written by [`num`].
    Num(f64),
    /// Text, escaped.
    Text(&'a str),
    /// Owned text, escaped.
    Owned(String),
}

impl From<f64> for Val<'_> {
    fn from(x: f64) -> Self {
        Val::Num(x)
    }
}

impl From<u32> for Val<'_> {
    fn from(x: u32) -> Self {
        Val::Num(f64::from(x))
    }
}

impl<'a> From<&'a str> for Val<'a> {
    fn from(s: &'a str) -> Self {
        Val::Text(s)
    }
}

impl From<String> for Val<'_> {
    fn from(s: String) -> Self {
        Val::Owned(s)
    }
}

/// A number for an SVG attribute: rounded to two decimals, trailing zeros and a
/// trailing point dropped, `-0` written `0`; a value that is not finite is `0`.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let mut s = format!("{:.2}", (x * 100.0).round() / 100.0);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// Whether `c` is shown as its `\u{…}` escape instead of itself: bidirectional
/// controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), control
/// characters other than tab and line breaks, and the non-characters U+FFFE and
/// U+FFFF.
pub fn is_hidden(c: char) -> bool {
    crate::cell::is_bidi_control(c)
        || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Escapes text for HTML or XML, in element content and in quoted attribute
/// values alike: `& < > " '` become entities, and the characters of
/// [`is_hidden`] are shown as visible `\u{…}` text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_hidden(c) => {
                let _ = write!(out, "\\u{{{:X}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// An SVG document being written.
#[derive(Clone, Debug)]
pub struct Svg {
    out: String,
    open: Vec<&'static str>,
}

impl Svg {
    /// Starts an `<svg>` of `width` × `height` user units (also its `viewBox`),
    /// labelled for assistive technology by a `<title>` and a `<desc>` whose ids
    /// start with `id` (which must be unique on the page).
    pub fn new(id: &str, width: f64, height: f64, title: &str, desc: &str) -> Svg {
        let mut s = Svg {
            out: String::new(),
            open: Vec::new(),
        };
        let (w, h) = (num(width), num(height));
        let id = escape(id);
        let _ = write!(
            s.out,
            "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" \
             role=\"img\" aria-labelledby=\"{id}-t {id}-d\">"
        );
        let _ = write!(
            s.out,
            "<title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
            escape(title),
            escape(desc)
        );
        s.open.push("svg");
        s
    }

    fn start(&mut self, name: &str, attrs: &[(&str, Val<'_>)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            let v = match v {
                Val::Num(x) => num(*x),
                Val::Text(t) => escape(t),
                Val::Owned(t) => escape(t),
            };
            let _ = write!(self.out, " {k}=\"{v}\"");
        }
    }

    /// Opens an element (`g`, `clipPath` …); [`Svg::close`] closes it.
    pub fn open(&mut self, name: &'static str, attrs: &[(&str, Val<'_>)]) {
        self.start(name, attrs);
        self.out.push('>');
        self.open.push(name);
    }

    /// Closes the innermost open element (never the `<svg>` itself: see
    /// [`Svg::finish`]).
    pub fn close(&mut self) {
        if self.open.len() > 1
            && let Some(name) = self.open.pop()
        {
            let _ = write!(self.out, "</{name}>");
        }
    }

    /// An empty element: `<rect …/>`.
    pub fn leaf(&mut self, name: &str, attrs: &[(&str, Val<'_>)]) {
        self.start(name, attrs);
        self.out.push_str("/>");
    }

    /// An element holding escaped text: `<text …>…</text>`, `<title>…</title>`.
    pub fn text_el(&mut self, name: &str, attrs: &[(&str, Val<'_>)], text: &str) {
        self.start(name, attrs);
        let _ = write!(self.out, ">{}</{name}>", escape(text));
    }

    /// A `<text>` element.
    pub fn text(&mut self, attrs: &[(&str, Val<'_>)], text: &str) {
        self.text_el("text", attrs, text);
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> String {
        while let Some(name) = self.open.pop() {
            let _ = write!(self.out, "</{name}>");
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_compact() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
        assert_eq!(num(100.0), "100");
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(escape("a\u{202E}b\u{2066}"), "a\\u{202E}b\\u{2066}");
        assert_eq!(escape("x\u{0}y"), "x\\u{0}y");
        let mut s = Svg::new("c1", 10.0, 5.5, "t<", "d");
        s.open("g", &[("class", "a\"b".into())]);
        s.text(&[("x", 1.0.into())], "<script>");
        s.leaf("rect", &[("width", 2.0.into())]);
        let out = s.finish();
        assert!(out.starts_with("<svg viewBox=\"0 0 10 5.5\""));
        assert!(out.contains("<title id=\"c1-t\">t&lt;</title>"));
        assert!(out.contains("<g class=\"a&quot;b\"><text x=\"1\">&lt;script&gt;</text><rect width=\"2\"/></g></svg>"));
    }
}
