//! `diarize --plot FILE.svg|FILE.png`: the result as a timeline, one lane per speaker and
//! one for overlapped speech, over a time axis.
//!
//! Text is laid out (SVG and PNG) and rasterised (PNG) by plotters' `ab_glyph` backend from
//! DejaVu Sans embedded in the binary: no font is looked up on the system, so a machine
//! without fonts draws the same picture.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use voiceflow::Segment;

use crate::output::Failure;

/// Which picture a `--plot` file name asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotFormat {
    Svg,
    Png,
}

/// A `--plot` argument: the file and, from its extension, the format.
#[derive(Clone, Debug)]
pub struct PlotTarget {
    pub path: PathBuf,
    pub format: PlotFormat,
}

/// Parses `--plot`'s value (clap calls it, so a wrong extension fails before any work).
pub fn parse_target(arg: &str) -> Result<PlotTarget, String> {
    let path = PathBuf::from(arg);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("svg") => PlotFormat::Svg,
        Some("png") => PlotFormat::Png,
        _ => return Err("the file name must end in .svg or .png, which picks the format".into()),
    };
    Ok(PlotTarget { path, format })
}

/// What a timeline shows. `speakers` are the lanes from top to bottom, each a speaker id
/// of `segments` and the name drawn for it (`SPEAKER_00`, or an enrolled person's name);
/// segments of speakers not listed are not drawn.
pub struct Timeline<'a> {
    pub title: &'a str,
    /// Seconds of audio; the time axis runs from 0 to here.
    pub duration: f64,
    pub speakers: &'a [(u32, String)],
    pub segments: &'a [Segment],
}

/// Every speaker of `segments`, by id, with the name `name` gives it.
pub fn speakers(segments: &[Segment], name: impl Fn(u32) -> String) -> Vec<(u32, String)> {
    let mut ids: Vec<u32> = segments.iter().map(|s| s.speaker).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter().map(|id| (id, name(id))).collect()
}

/// Draws what `diarize` found in the file `audio` (`duration` seconds long), with the
/// speakers' labels (enrolled names or `SPEAKER_NN`) and the file name as title.
pub fn write_result(
    target: &PlotTarget,
    audio: &Path,
    duration: f64,
    segments: &[Segment],
    names: &voiceflow::pipeline::SpeakerNames,
) -> Result<(), Failure> {
    let name = audio
        .file_name()
        .unwrap_or(audio.as_os_str())
        .to_string_lossy();
    let speakers = speakers(segments, |id| names.label(id));
    let timeline = Timeline {
        title: &name,
        duration,
        speakers: &speakers,
        segments,
    };
    write(target, &timeline)
}

/// Draws `timeline` into `target`'s file.
pub fn write(target: &PlotTarget, timeline: &Timeline) -> Result<(), Failure> {
    let path = target.path.display();
    let bytes = match target.format {
        PlotFormat::Svg => svg(timeline).map(String::into_bytes),
        PlotFormat::Png => png(timeline),
    }
    .map_err(|e| Failure::Plot(format!("cannot draw plot {path}: {e}")))?;
    std::fs::write(&target.path, bytes)
        .map_err(|e| Failure::Plot(format!("cannot write plot {path}: {e}")))
}

fn svg(timeline: &Timeline) -> Result<String, String> {
    let lanes = LaneAxis::new(timeline.speakers)?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size(timeline)).into_drawing_area();
        draw(&root, timeline, lanes).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text)
}

fn png(timeline: &Timeline) -> Result<Vec<u8>, String> {
    let lanes = LaneAxis::new(timeline.speakers)?;
    let (width, height) = size(timeline);
    let mut rgb = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw(&root, timeline, lanes).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

const WIDTH: u32 = 1000;
const LANE_PX: u32 = 32;
const CAPTION_PX: u32 = 40;
const MARGIN_PX: u32 = 12;
const AXIS_PX: u32 = 44;
const FONT: &str = "sans-serif";
const LABEL_SIZE: u32 = 14;
const OVERLAP_LABEL: &str = "overlap";
/// Colour of overlapped speech: its lane's bars and, faintly, a band across the speakers.
const OVERLAP: RGBColor = RGBColor(0x44, 0x44, 0x44);
const LANE_BACKGROUND: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);
/// Tableau 10, one colour per speaker lane (repeating after ten).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

/// Pixel size of the picture: fixed width, a lane per speaker plus the overlap lane.
fn size(timeline: &Timeline) -> (u32, u32) {
    let lanes = timeline.speakers.len() as u32 + 1;
    (
        WIDTH,
        CAPTION_PX + 2 * MARGIN_PX + AXIS_PX + lanes * LANE_PX,
    )
}

/// Makes the embedded font the one plotters finds for `sans-serif`, once per process.
fn register_embedded_font() -> Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok());
    ok.then_some(())
        .ok_or_else(|| "the embedded font does not load".to_string())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    t: &Timeline,
    lanes: LaneAxis,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let time = TimeAxis::new(t.duration);
    let x_desc = time.description();
    let n = lanes.names.len() as f64;

    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(t.title, (FONT, 20))
        .margin(MARGIN_PX)
        .x_label_area_size(AXIS_PX)
        .y_label_area_size(lanes.label_width + 12)
        .build_cartesian_2d(time.clone(), lanes.clone())?;

    // Lane backgrounds first, so the grid and the bars are drawn over them.
    chart.draw_series((0..lanes.names.len()).map(|i| {
        let y = i as f64;
        let mut r = Rectangle::new([(0.0, y), (time.end, y + 1.0)], LANE_BACKGROUND.filled());
        r.set_margin(1, 1, 0, 0);
        r
    }))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        // Only the ticks' grid lines: our axes have no minor points, and plotters would
        // draw the same lines again as light ones.
        .light_line_style(TRANSPARENT)
        .x_desc(x_desc)
        .label_style((FONT, LABEL_SIZE))
        .draw()?;

    let overlap = overlaps(t.segments, t.speakers);
    // Overlap: faintly across the speaker lanes, so both active bars show where it is,
    // and solid in its own lane at the bottom.
    chart.draw_series(
        overlap
            .iter()
            .map(|&(a, b)| Rectangle::new([(a, 1.0), (b, n)], OVERLAP.mix(0.15).filled())),
    )?;
    chart.draw_series(overlap.iter().map(|&(a, b)| {
        let mut r = Rectangle::new([(a, 0.0), (b, 1.0)], OVERLAP.filled());
        r.set_margin(9, 9, 0, 0);
        r
    }))?;
    chart.draw_series(t.segments.iter().filter_map(|s| {
        let lane = t.speakers.iter().position(|(id, _)| *id == s.speaker)?;
        let y = lanes.speaker_bottom(lane);
        let color = PALETTE[lane % PALETTE.len()];
        let mut r = Rectangle::new([(s.start, y), (s.end, y + 1.0)], color.filled());
        r.set_margin(5, 5, 0, 0);
        Some(r)
    }))?;
    Ok(())
}

/// Where two or more of `speakers` talk at once, as sorted, disjoint (start, end) spans.
fn overlaps(segments: &[Segment], speakers: &[(u32, String)]) -> Vec<(f64, f64)> {
    // (time, +1 start / -1 end, lane); at equal times ends come first, so that turns that
    // merely touch are not an overlap.
    let mut events: Vec<(f64, i32, usize)> = Vec::new();
    for s in segments.iter().filter(|s| s.end > s.start) {
        if let Some(lane) = speakers.iter().position(|(id, _)| *id == s.speaker) {
            events.push((s.start, 1, lane));
            events.push((s.end, -1, lane));
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    // Per lane, how many of its segments are open: a speaker whose own segments overlap
    // still counts once.
    let mut open = vec![0i32; speakers.len()];
    let mut talking = 0;
    let mut spans: Vec<(f64, f64)> = Vec::new();
    let mut since = 0.0;
    for (time, delta, lane) in events {
        let before = talking;
        let was_open = open[lane] > 0;
        open[lane] += delta;
        if was_open != (open[lane] > 0) {
            talking += delta;
        }
        if before < 2 && talking >= 2 {
            since = time;
        } else if before >= 2 && talking < 2 && time > since {
            match spans.last_mut() {
                Some(last) if last.1 >= since => last.1 = time,
                _ => spans.push((since, time)),
            }
        }
    }
    spans
}

/// The time axis: 0 to the duration, ticks at a round step, seconds (`12`) for short
/// audio and `m:ss` (or `h:mm:ss`) for long.
#[derive(Clone)]
struct TimeAxis {
    end: f64,
    step: f64,
}

impl TimeAxis {
    /// At most this many intervals between ticks.
    const MAX_TICKS: f64 = 12.0;
    /// Longer audio is labelled `m:ss`.
    const CLOCK_FROM: f64 = 120.0;

    fn new(duration: f64) -> Self {
        let end = if duration.is_finite() && duration > 0.0 {
            duration
        } else {
            1.0
        };
        let steps = [
            0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0,
            1800.0, 3600.0,
        ];
        let step = steps
            .into_iter()
            .find(|s| end / s <= Self::MAX_TICKS)
            .unwrap_or_else(|| (end / Self::MAX_TICKS / 3600.0).ceil() * 3600.0);
        TimeAxis { end, step }
    }

    fn description(&self) -> &'static str {
        if self.end < Self::CLOCK_FROM {
            "seconds"
        } else if self.end < 3600.0 {
            "time (m:ss)"
        } else {
            "time (h:mm:ss)"
        }
    }

    fn label(&self, t: f64) -> String {
        if self.end < Self::CLOCK_FROM {
            let decimals = if self.step < 1.0 { 1 } else { 0 };
            return format!("{t:.decimals$}");
        }
        let s = t.round() as u64;
        if self.end < 3600.0 {
            format!("{}:{:02}", s / 60, s % 60)
        } else {
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
    }
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        linear(*value / self.end, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        // Whole multiples, computed from the index so that no error accumulates.
        (0..)
            .map(|i| f64::from(i) * self.step)
            .take_while(|t| *t <= self.end + 1e-9)
            .collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.end
    }
}

impl ValueFormatter<f64> for TimeAxis {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

/// The vertical axis: lane i spans `i..i+1`, the overlap lane at the bottom (0) and the
/// first speaker at the top; each lane is labelled with its name at its centre.
#[derive(Clone)]
struct LaneAxis {
    /// Bottom to top.
    names: Vec<String>,
    /// Pixels of the widest name.
    label_width: u32,
}

impl LaneAxis {
    /// Also registers the embedded font, which measuring the names needs.
    fn new(speakers: &[(u32, String)]) -> Result<Self, String> {
        register_embedded_font()?;
        let mut names = vec![OVERLAP_LABEL.to_string()];
        names.extend(speakers.iter().rev().map(|(_, name)| name.clone()));
        let font = (FONT, LABEL_SIZE).into_font();
        let mut label_width = 0;
        for name in &names {
            let (w, _) = font.box_size(name).map_err(|e| e.to_string())?;
            label_width = label_width.max(w);
        }
        Ok(LaneAxis { names, label_width })
    }

    /// Bottom of the lane of the `index`-th speaker (0: the top lane).
    fn speaker_bottom(&self, index: usize) -> f64 {
        (self.names.len() - 1 - index) as f64
    }
}

impl Ranged for LaneAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        linear(*value / self.names.len() as f64, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        (0..self.names.len()).map(|i| i as f64 + 0.5).collect()
    }

    fn range(&self) -> Range<f64> {
        0.0..self.names.len() as f64
    }
}

impl ValueFormatter<f64> for LaneAxis {
    fn format_ext(&self, value: &f64) -> String {
        let lane = value.floor().max(0.0) as usize;
        self.names.get(lane).cloned().unwrap_or_default()
    }
}

/// `fraction` (0..=1) of the way from `limit.0` to `limit.1`, in pixels.
fn linear(fraction: f64, limit: (i32, i32)) -> i32 {
    let (a, b) = (f64::from(limit.0), f64::from(limit.1));
    (a + fraction * (b - a)).round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(speaker: u32, start: f64, end: f64) -> Segment {
        Segment {
            speaker,
            start,
            end,
        }
    }

    /// Two speakers who overlap from 4 to 5 s, then a third alone.
    fn segments() -> Vec<Segment> {
        vec![
            seg(0, 0.5, 5.0),
            seg(1, 4.0, 9.0),
            seg(2, 9.0, 12.0),
            seg(0, 13.0, 15.0),
        ]
    }

    fn names() -> Vec<(u32, String)> {
        speakers(&segments(), voiceflow::pipeline::speaker_label)
    }

    fn timeline<'a>(speakers: &'a [(u32, String)], segments: &'a [Segment]) -> Timeline<'a> {
        Timeline {
            title: "conversation.wav",
            duration: 16.0,
            speakers,
            segments,
        }
    }

    fn fill(color: RGBColor) -> String {
        format!("fill=\"#{:02X}{:02X}{:02X}\"", color.0, color.1, color.2)
    }

    #[test]
    fn target_format_comes_from_the_extension() {
        assert_eq!(parse_target("a/b.svg").unwrap().format, PlotFormat::Svg);
        assert_eq!(parse_target("B.PNG").unwrap().format, PlotFormat::Png);
        for wrong in ["plot.pdf", "plot", "svg", "plot.svg.txt"] {
            let e = parse_target(wrong).unwrap_err();
            assert!(e.contains(".svg or .png"), "{wrong}: {e}");
        }
    }

    #[test]
    fn speakers_are_listed_once_by_id_with_the_names_given() {
        assert_eq!(
            speakers(&segments(), |id| format!("person {id}")),
            [(0, "person 0"), (1, "person 1"), (2, "person 2")].map(|(id, n)| (id, n.to_string()))
        );
    }

    #[test]
    fn overlap_is_where_two_speakers_talk_at_once() {
        let names = names();
        assert_eq!(overlaps(&segments(), &names), [(4.0, 5.0)]);
        // Touching turns are not overlap; a speaker overlapping itself counts once; three
        // at once is still one span.
        let touching = [seg(0, 0.0, 1.0), seg(1, 1.0, 2.0), seg(0, 1.5, 1.8)];
        assert_eq!(overlaps(&touching, &names), [(1.5, 1.8)]);
        let own = [seg(0, 0.0, 2.0), seg(0, 1.0, 3.0)];
        assert!(overlaps(&own, &names).is_empty());
        let three = [seg(0, 0.0, 4.0), seg(1, 1.0, 3.0), seg(2, 2.0, 5.0)];
        assert_eq!(overlaps(&three, &names), [(1.0, 4.0)]);
        // Segments of a speaker without a lane are not drawn, so they do not overlap.
        assert!(overlaps(&[seg(0, 0.0, 2.0), seg(7, 1.0, 2.0)], &names).is_empty());
    }

    #[test]
    fn svg_has_a_lane_per_speaker_the_overlap_and_the_time_axis() {
        let (names, segments) = (names(), segments());
        let svg = svg(&timeline(&names, &segments)).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("conversation.wav"));
        // Each lane is labelled, and each speaker's bars have the lane's colour.
        for (lane, (id, name)) in names.iter().enumerate() {
            assert!(svg.contains(&format!("\n{name}\n")), "label {name}");
            let bars = segments.iter().filter(|s| s.speaker == *id).count();
            assert_eq!(svg.matches(&fill(PALETTE[lane])).count(), bars, "{name}");
        }
        assert!(svg.contains(&format!("\n{OVERLAP_LABEL}\n")));
        // One overlap span: its solid bar plus the faint band across the speaker lanes.
        assert_eq!(svg.matches(&fill(OVERLAP)).count(), 2);
        // Ticks every 2 s from 0 to 16, in seconds.
        for tick in ["0", "2", "8", "16"] {
            assert!(svg.contains(&format!("\n{tick}\n")), "tick {tick}");
        }
        assert!(svg.contains("\nseconds\n"));
        let (w, h) = size(&timeline(&names, &segments));
        assert!(svg.contains(&format!("width=\"{w}\" height=\"{h}\"")));
    }

    #[test]
    fn long_audio_is_labelled_in_minutes() {
        let (names, segments) = (names(), segments());
        let t = Timeline {
            duration: 600.0,
            ..timeline(&names, &segments)
        };
        let svg = svg(&t).unwrap();
        for tick in ["0:00", "1:00", "10:00"] {
            assert!(svg.contains(&format!("\n{tick}\n")), "tick {tick}");
        }
        assert!(svg.contains("time (m:ss)"));
        assert_eq!(TimeAxis::new(7200.0).label(3723.0), "1:02:03");
        assert_eq!(TimeAxis::new(0.8).label(0.3), "0.3");
    }

    #[test]
    fn png_has_the_signature_and_the_size() {
        let (names, segments) = (names(), segments());
        let t = timeline(&names, &segments);
        let png = png(&t).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let (w, h) = size(&t);
        assert_eq!(&png[16..20], &w.to_be_bytes());
        assert_eq!(&png[20..24], &h.to_be_bytes());
        assert_eq!(h, CAPTION_PX + 2 * MARGIN_PX + AXIS_PX + 4 * LANE_PX);

        // Decoded: the title's glyphs were rasterised (dark pixels in the caption band),
        // which with no system font lookup proves the embedded font is the one used.
        let reader = png::Decoder::new(std::io::Cursor::new(&png));
        let mut reader = reader.read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut rgb).unwrap();
        let pixel = |x: u32, y: u32| {
            let i = (y * w + x) as usize * 3;
            RGBColor(rgb[i], rgb[i + 1], rgb[i + 2])
        };
        let dark_in_caption = (0..CAPTION_PX)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let RGBColor(r, g, b) = pixel(x, y);
                u32::from(r) + u32::from(g) + u32::from(b) < 200
            })
            .count();
        assert!(
            dark_in_caption > 50,
            "{dark_in_caption} dark pixels in the title"
        );
        // Each lane's bars, and the overlap's, are there in their colours.
        for color in [PALETTE[0], PALETTE[1], PALETTE[2], OVERLAP] {
            let n = (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .filter(|&(x, y)| pixel(x, y) == color)
                .count();
            assert!(n > 100, "{n} pixels of {color:?}");
        }
    }

    #[test]
    fn enrolled_names_label_the_lanes() {
        let segments = segments();
        let names = speakers(&segments, |id| {
            ["Alice", "Bob <b>", "Carol"][id as usize].into()
        });
        let svg = svg(&timeline(&names, &segments)).unwrap();
        assert!(svg.contains("\nAlice\n") && svg.contains("\nBob &lt;b&gt;\n"));
        assert!(!svg.contains("SPEAKER_00"));
    }
}
