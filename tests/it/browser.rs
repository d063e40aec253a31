//! `report.html` as a person sees it: headless Chromium renders the demo's report
//! and a small campaign's, and the screenshots are checked (not blank, not cut off
//! at the bottom). Skipped, with a note, where Chromium is not installed
//! (`apt-get install chromium fonts-noto-cjk`; `.ci/run` installs them).
//!
//! Full height: `--screenshot` captures the window, so the window is made taller
//! than the page and the last row that differs from the white background is found
//! in the decoded PNG; if that row is near the bottom edge the window is doubled
//! and the shot retaken. The demo's page (300 scorecards, far too tall for one
//! shot) is checked by its top and by printing it to A4 PDF and counting pages.
//!
//! `APPRAISE_SCREENSHOT=1` also writes the top of the demo report (headline, the
//! start of the 公示名单, the start of the first chart) to `docs/report.png`, the
//! picture in the README (then `convert docs/report.png -colors 256
//! PNG8:docs/report.png` keeps it small).

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::manifest_dir;

/// The Chromium binary on `PATH`, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

static RUN: AtomicU32 = AtomicU32::new(0);

/// A fresh empty folder under the system temp folder.
fn fresh_dir(what: &str) -> io::Result<PathBuf> {
    let n = RUN.fetch_add(1, Ordering::SeqCst);
    let d = std::env::temp_dir().join(format!("appraise-browser-{what}-{}-{n}", std::process::id()));
    if d.exists() {
        std::fs::remove_dir_all(&d)?;
    }
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// Runs headless Chromium on `html` with `extra` arguments, with a fresh profile
/// and no network chatter, killing it after three minutes.
fn run_chromium(html: &Path, extra: &[String]) -> io::Result<()> {
    let bin = chromium().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "chromium is not installed"))?;
    let profile = fresh_dir("profile")?;
    let html = std::fs::canonicalize(html)?;
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(180);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&profile);
            return Err(io::Error::new(io::ErrorKind::TimedOut, "chromium took over 180 s"));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = std::fs::remove_dir_all(&profile);
    if !status.success() {
        return Err(io::Error::other(format!("chromium exited with {status}")));
    }
    Ok(())
}

/// Screenshots `html` in a `width` × `height` window to `png`.
fn screenshot(html: &Path, png: &Path, width: u32, height: u32) -> io::Result<()> {
    let _ = std::fs::remove_file(png);
    run_chromium(
        html,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
        ],
    )?;
    if !png.is_file() {
        return Err(io::Error::other("chromium wrote no screenshot"));
    }
    Ok(())
}

/// Prints `html` to an A4 PDF.
fn print_pdf(html: &Path, pdf: &Path) -> io::Result<()> {
    let _ = std::fs::remove_file(pdf);
    run_chromium(
        html,
        &[
            "--no-pdf-header-footer".to_string(),
            format!("--print-to-pdf={}", pdf.display()),
        ],
    )?;
    if !pdf.is_file() {
        return Err(io::Error::other("chromium wrote no PDF"));
    }
    Ok(())
}

/// A decoded picture, 8-bit RGB.
struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    fn load(path: &Path) -> io::Result<Image> {
        let file = std::io::BufReader::new(std::fs::File::open(path)?);
        let mut dec = png::Decoder::new(file);
        dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = dec.read_info().map_err(io::Error::other)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| io::Error::other("PNG too large"))?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(io::Error::other)?;
        buf.truncate(info.buffer_size());
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => return Err(io::Error::other("indexed PNG after EXPAND")),
        };
        let rgb = buf
            .chunks_exact(channels)
            .flat_map(|p| match channels {
                1 | 2 => [p[0], p[0], p[0]],
                _ => [p[0], p[1], p[2]],
            })
            .collect();
        Ok(Image {
            width: info.width,
            height: info.height,
            rgb,
        })
    }

    fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// The last row with a pixel that is not (near) white, if any.
    fn content_bottom(&self) -> Option<u32> {
        (0..self.height)
            .rev()
            .find(|&y| (0..self.width).any(|x| self.pixel(x, y).iter().any(|&c| c < 245)))
    }

    /// Shares of the first `rows` rows' pixels that are not white, and that are
    /// dark (text).
    fn ink(&self, rows: u32) -> (f64, f64) {
        let (mut inked, mut dark, mut all) = (0u64, 0u64, 0u64);
        for y in 0..rows.min(self.height) {
            for x in 0..self.width {
                let p = self.pixel(x, y);
                all += 1;
                if p.iter().any(|&c| c < 245) {
                    inked += 1;
                }
                if p.iter().all(|&c| c < 90) {
                    dark += 1;
                }
            }
        }
        (inked as f64 / all.max(1) as f64, dark as f64 / all.max(1) as f64)
    }

    /// Saves rows `top..top + rows` as an RGB PNG.
    fn save_rows(&self, path: &Path, top: u32, rows: u32) -> io::Result<()> {
        self.save_bands(path, &[(top, rows)])
    }

    /// Saves bands of rows (`(top, rows)` each), one under the other with a thin
    /// grey rule between them, as an RGB PNG.
    fn save_bands(&self, path: &Path, bands: &[(u32, u32)]) -> io::Result<()> {
        const RULE: u32 = 10;
        let mut data = Vec::new();
        for (k, &(top, rows)) in bands.iter().enumerate() {
            if k > 0 {
                data.extend(std::iter::repeat_n([200u8, 207, 216], (RULE * self.width) as usize).flatten());
            }
            let top = top.min(self.height);
            let rows = rows.min(self.height - top);
            data.extend_from_slice(
                &self.rgb[(top * self.width * 3) as usize..((top + rows) * self.width * 3) as usize],
            );
        }
        let height = (data.len() / (self.width as usize * 3)) as u32;
        let w = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut enc = png::Encoder::new(w, self.width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::High);
        let mut writer = enc.write_header().map_err(io::Error::other)?;
        writer.write_image_data(&data).map_err(io::Error::other)?;
        writer.finish().map_err(io::Error::other)
    }

    /// The first row holding a pixel of exactly this colour.
    fn first_row_with(&self, rgb: [u8; 3]) -> Option<u32> {
        (0..self.height).find(|&y| (0..self.width).any(|x| self.pixel(x, y) == rgb))
    }
}

/// Screenshots the whole page: the window grows until the content ends above its
/// bottom edge. Returns the picture and the content height.
fn full_page(html: &Path, png: &Path, width: u32) -> io::Result<(Image, u32)> {
    let mut height = 4000;
    loop {
        screenshot(html, png, width, height)?;
        let img = Image::load(png)?;
        let bottom = img.content_bottom().unwrap_or(0);
        // The page's own bottom padding is white: content ending 24 px above the
        // edge means the page ended inside the window.
        if bottom + 24 < img.height {
            return Ok((img, bottom + 1));
        }
        if height >= 64_000 {
            return Err(io::Error::other("page taller than 64,000 px"));
        }
        height *= 2;
    }
}

/// `target/screens/`, where the screenshots are left for looking at.
fn out_dir() -> PathBuf {
    let d = manifest_dir().join("target").join("screens");
    let _ = std::fs::create_dir_all(&d);
    d
}

fn skip() -> bool {
    if chromium().is_none() {
        eprintln!("SKIPPED: chromium is not installed (apt-get install chromium fonts-noto-cjk)");
        return true;
    }
    false
}

/// The number of `/Type /Page` objects in a PDF.
fn count_pages(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}

/// The hostile campaign's report renders whole: the page is captured to its end,
/// inked, and about as tall as seven scorecards and the charts need.
#[test]
fn hostile_report_renders_whole_in_chromium() {
    if skip() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::report::score_hostile(dir.path(), "");
    let html = out.join("report.html");
    let png = out_dir().join("hostile-window.png");
    let (img, height) = full_page(&html, &png, 1000).expect("screenshot");
    eprintln!("hostile report: page height {height} px in a {} px window", img.height);
    assert!(height > 2500, "the page is implausibly short: {height}");
    let (inked, dark) = img.ink(height);
    assert!(inked > 0.05, "too little ink: {inked}");
    assert!(dark > 0.002, "too little dark text: {dark}");
    img.save_rows(&out_dir().join("hostile-full.png"), 0, height)
        .expect("save");
}

/// The demo's report: the top (headline, 公示名单) is inked, and the page prints
/// to a PDF with as many A4 pages as 300 scorecards need.
#[test]
fn demo_report_renders_in_chromium() {
    if skip() {
        return;
    }
    let dir = out_dir();
    let (plan, roster, outcome) = crate::demo();
    let html = dir.join("demo-report.html");
    let files = appraise::output::render_all(plan, roster, outcome).expect("outputs");
    let page = files
        .iter()
        .find(|(name, _)| *name == "report.html")
        .map(|(_, bytes)| bytes.clone())
        .expect("render_all lists report.html");
    std::fs::write(&html, page).expect("write");
    let png = dir.join("demo-top.png");
    screenshot(&html, &png, 1000, 16_000).expect("screenshot");
    let img = Image::load(&png).expect("png");
    let (inked, dark) = img.ink(1800);
    assert!(inked > 0.05 && dark > 0.002, "top of the page blank: {inked} {dark}");
    assert!(
        img.content_bottom().unwrap_or(0) + 10 >= img.height,
        "the demo page ends within 16,000 px"
    );
    // The first chart: its lowest grade band (不合格, shaded #f8e6e3) starts about
    // 170 px below the 图表 heading.
    let chart = img
        .first_row_with([0xf8, 0xe6, 0xe3])
        .expect("the final-score chart is drawn");
    assert!(chart > 1800, "the chart comes after the 公示名单: {chart}");
    let top = [(0, 1170), (chart - 170, 900)];
    img.save_bands(&dir.join("demo-report-top.png"), &top).expect("save");
    if std::env::var_os("APPRAISE_SCREENSHOT").is_some() {
        img.save_bands(&manifest_dir().join("docs").join("report.png"), &top)
            .expect("docs/report.png");
    }
    let pdf = dir.join("demo-report.pdf");
    print_pdf(&html, &pdf).expect("pdf");
    let pages = count_pages(&std::fs::read(&pdf).expect("pdf bytes"));
    eprintln!("demo report: {pages} A4 pages");
    assert!(pages >= 300 / 3, "too few pages: {pages}");
    assert!(pages < 400, "too many pages: {pages}");
}
