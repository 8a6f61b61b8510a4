//! Lines of text ready to draw: the Unicode bidirectional algorithm
//! (UAX #9) orders the runs, each grapheme cluster (UAX #29) takes the first
//! font of the chain that has all its characters, and each run is shaped
//! with OpenType (rustybuzz, HarfBuzz's algorithm), so Arabic joins and
//! Devanagari's conjuncts form.
//!
//! A cluster that no font covers is drawn as its code points, `[U+1F680]`:
//! visible, never an empty box.

use super::fonts::{FontBook, Loaded, Weight};
use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{Direction, UnicodeBuffer};
use unicode_bidi::{Level, ParagraphBidiInfo};
use unicode_segmentation::UnicodeSegmentation;

/// A stretch of one line in one font and one direction, shaped.
#[derive(Clone)]
pub struct Run {
    /// Index of the font in its weight's chain.
    pub font: usize,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// In points.
    pub width: f32,
    /// How far its glyphs reach above and below the baseline, in points.
    pub ascent: f32,
    pub descent: f32,
}

/// One line, its runs in visual order (left to right on the page).
#[derive(Clone)]
pub struct Line {
    pub runs: Vec<Run>,
    pub weight: Weight,
    /// Font size in points.
    pub size: f32,
    /// In points.
    pub width: f32,
}

impl Line {
    /// The line's characters in logical order per run (for tests and checks).
    #[cfg(test)]
    pub fn text(&self) -> String {
        self.runs.iter().map(|run| run.text.as_str()).collect()
    }
}

/// Shapes, measures and wraps text with a [`FontBook`].
pub struct Typesetter<'a> {
    book: &'a FontBook,
}

impl<'a> Typesetter<'a> {
    pub fn new(book: &'a FontBook) -> Self {
        Self { book }
    }

    /// `text` on one line, however wide. Control characters (line breaks
    /// included) count as spaces.
    pub fn line(&self, text: &str, size: f32, weight: Weight) -> Line {
        self.line_at(text, size, weight, None)
    }

    /// `text` broken into lines no wider than `width` points: at spaces,
    /// beside CJK characters (which need none), and between grapheme
    /// clusters (or, for a cluster wider than the line, between its
    /// characters) where one word is wider than the line. Each `\n` starts
    /// a new line; an empty text gives one empty line. Every line keeps the
    /// base direction of its paragraph (UAX #9, rules P2-P3).
    ///
    /// Pieces are measured one by one and summed, so the work grows with
    /// the text's length, not its square; each finished line is shaped
    /// whole and shortened in the rare case shaping in context made it wider.
    pub fn wrap(&self, text: &str, size: f32, weight: Weight, width: f32) -> Vec<Line> {
        let mut result = Vec::new();
        for paragraph in text.split('\n') {
            let paragraph = self.substitute(&clean(paragraph), weight);
            let level = ParagraphBidiInfo::new(&paragraph, None).paragraph_level;
            let measure = |piece: &str| self.line_at(piece, size, weight, Some(level)).width;
            // Units that may not be split further, with their widths.
            let mut units: Vec<(String, f32)> = Vec::new();
            for piece in break_pieces(&paragraph) {
                let piece_width = measure(piece.trim_end());
                if piece_width <= width {
                    units.push((piece.to_owned(), piece_width));
                    continue;
                }
                // A word wider than the line: its clusters, and the
                // characters of a cluster wider than the line.
                for cluster in piece.graphemes(true) {
                    let cluster_width = measure(cluster);
                    if cluster_width <= width {
                        units.push((cluster.to_owned(), cluster_width));
                    } else {
                        units.extend(cluster.chars().map(|c| {
                            let c = c.to_string();
                            let w = measure(&c);
                            (c, w)
                        }));
                    }
                }
            }
            let mut lines: Vec<String> = Vec::new();
            let mut current = String::new();
            let mut current_width = 0.0;
            for (unit, unit_width) in units {
                if !current.is_empty() && current_width + unit_width > width {
                    lines.push(std::mem::take(&mut current));
                    current_width = 0.0;
                }
                if current.is_empty() {
                    // Spaces at a break are not carried to the next line.
                    let trimmed = unit.trim_start();
                    current.push_str(trimmed);
                    current_width = if trimmed.len() == unit.len() {
                        unit_width
                    } else {
                        measure(trimmed)
                    };
                } else {
                    current.push_str(&unit);
                    current_width += unit_width;
                }
            }
            lines.push(current);
            let mut carried = String::new();
            let mut index = 0;
            while index < lines.len() {
                let text = format!("{carried}{}", lines[index]);
                carried.clear();
                let mut shaped = self.line_at(text.trim_end(), size, weight, Some(level));
                let mut kept = text.trim_end().to_owned();
                // Shaped in context a line can come out a little wider than
                // its pieces: hand its last clusters to the next line.
                while shaped.width > width && kept.graphemes(true).count() > 1 {
                    let last = kept.graphemes(true).next_back().map_or(0, str::len);
                    let cut = kept.len() - last;
                    carried.insert_str(0, &kept[cut..]);
                    kept.truncate(cut);
                    shaped = self.line_at(kept.trim_end(), size, weight, Some(level));
                }
                result.push(shaped);
                index += 1;
                if !carried.is_empty() && index == lines.len() {
                    lines.push(String::new());
                }
            }
        }
        result
    }

    /// One line; `level` is the paragraph's base direction (found from the
    /// text when `None`).
    fn line_at(&self, text: &str, size: f32, weight: Weight, level: Option<Level>) -> Line {
        let text = self.substitute(&clean(text), weight);
        let mut line = Line {
            runs: Vec::new(),
            weight,
            size,
            width: 0.0,
        };
        if text.is_empty() {
            return line;
        }
        let bidi = ParagraphBidiInfo::new(&text, level);
        let (levels, runs) = bidi.visual_runs(0..text.len());
        for range in runs {
            let rtl = levels[range.start].is_rtl();
            let mut pieces = self.by_font(&text[range], weight);
            if rtl {
                pieces.reverse();
            }
            for (font, piece) in pieces {
                let Some(loaded) = self
                    .book
                    .chain(weight)
                    .get(font)
                    .and_then(|slot| slot.get())
                else {
                    continue;
                };
                let run = shape(loaded, font, piece, rtl, size);
                line.width += run.width;
                line.runs.push(run);
            }
        }
        line
    }

    /// The first font of the chain that has every character of `cluster`
    /// (default-ignorable ones aside: variation selectors, joiners).
    fn cover(&self, cluster: &str, weight: Weight) -> Option<usize> {
        self.book
            .chain(weight)
            .iter()
            .position(|slot| slot.get().is_some_and(|loaded| covers(loaded, cluster)))
    }

    /// `text` with every cluster that no font covers replaced by its code
    /// points (`[U+1F680]`).
    fn substitute(&self, text: &str, weight: Weight) -> String {
        let mut out = String::with_capacity(text.len());
        for cluster in text.graphemes(true) {
            if self.cover(cluster, weight).is_some() {
                out.push_str(cluster);
            } else {
                let points: Vec<String> = cluster
                    .chars()
                    .filter(|c| !is_default_ignorable(*c))
                    .map(|c| format!("U+{:04X}", u32::from(c)))
                    .collect();
                out.push_str(&format!("[{}]", points.join(" ")));
            }
        }
        out
    }

    /// `text` cut where the font changes, in logical order. A cluster
    /// without letters or digits (spaces, punctuation) stays in the font
    /// before it when that font has it, so a run is not cut at every space.
    fn by_font<'t>(&self, text: &'t str, weight: Weight) -> Vec<(usize, &'t str)> {
        let chain = self.book.chain(weight);
        let mut pieces: Vec<(usize, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<usize> = None;
        for (offset, cluster) in text.grapheme_indices(true) {
            let neutral = !cluster.chars().any(char::is_alphanumeric);
            let font = match current {
                Some(previous)
                    if neutral
                        && chain[previous]
                            .get()
                            .is_some_and(|loaded| covers(loaded, cluster)) =>
                {
                    previous
                }
                _ => self.cover(cluster, weight).unwrap_or(0),
            };
            if current.is_some_and(|previous| previous != font) {
                pieces.push((current.unwrap_or(0), &text[start..offset]));
                start = offset;
            }
            current = Some(font);
        }
        if let Some(font) = current {
            pieces.push((font, &text[start..]));
        }
        pieces
    }
}

/// Shapes `text` in one font and direction; glyphs come back in visual order.
fn shape(loaded: &Loaded, font: usize, text: &str, rtl: bool, size: f32) -> Run {
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    // The shaper must not take the whole document down with it: a run it
    // cannot shape is left out (the clusters above keep such runs rare).
    let Ok(output) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rustybuzz::shape(&loaded.face, &[], buffer)
    })) else {
        tracing::warn!("a PDF text run could not be shaped");
        return Run {
            font,
            text: text.to_owned(),
            glyphs: Vec::new(),
            width: 0.0,
            ascent: 0.0,
            descent: 0.0,
        };
    };
    let units = loaded.units_per_em();
    let infos = output.glyph_infos();
    // Each glyph stands for the text from its cluster to the next cluster.
    let mut starts: Vec<usize> = infos.iter().map(|info| info.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut width = 0.0;
    let mut ascent: f32 = 0.0;
    let mut descent: f32 = 0.0;
    let glyphs = infos
        .iter()
        .zip(output.glyph_positions())
        .map(|(info, position)| {
            let start = info.cluster as usize;
            let end = starts
                .iter()
                .find(|next| **next > start)
                .copied()
                .unwrap_or(text.len());
            // Advances and offsets are font units: small integers, exact in f32.
            width += position.x_advance as f32 * size / units;
            // How far the glyph reaches above and below the baseline, its
            // offset included (stacked marks rise above the font's ascender).
            if let Some(bounds) = loaded
                .face
                .glyph_bounding_box(rustybuzz::ttf_parser::GlyphId(
                    u16::try_from(info.glyph_id).unwrap_or(0),
                ))
            {
                let lift = position.y_offset as f32;
                ascent = ascent.max((lift + f32::from(bounds.y_max)) * size / units);
                descent = descent.max(-(lift + f32::from(bounds.y_min)) * size / units);
            }
            KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                position.x_advance as f32 / units,
                position.x_offset as f32 / units,
                position.y_offset as f32 / units,
                position.y_advance as f32 / units,
                start..end,
                None,
            )
        })
        .collect();
    Run {
        font,
        text: text.to_owned(),
        glyphs,
        width,
        ascent,
        descent,
    }
}

fn covers(loaded: &Loaded, cluster: &str) -> bool {
    cluster
        .chars()
        .filter(|c| !is_default_ignorable(*c))
        .all(|c| loaded.face.glyph_index(c).is_some_and(|glyph| glyph.0 != 0))
}

/// Default-ignorable code points that fonts need not have (Unicode
/// DerivedCoreProperties, Default_Ignorable_Code_Point, the ones met in
/// text: joiners, directional marks, variation selectors, tag characters).
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// No grapheme cluster in real text is longer than this many characters
/// (the longest emoji sequences and Indic conjuncts have about a dozen).
pub const MAX_CLUSTER_CHARS: usize = 24;

/// Control characters (tabs, stray line breaks) as spaces, and each grapheme
/// cluster cut to [`MAX_CLUSTER_CHARS`]: longer ones (thousands of combining
/// marks on one letter) only make tall stacks and slow, fragile shaping.
fn clean(text: &str) -> String {
    let spaced: String = text
        .chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced
        .graphemes(true)
        .flat_map(|cluster| cluster.chars().take(MAX_CLUSTER_CHARS))
        .collect()
}

/// Characters written without spaces between words, where a line may break
/// before or after any of them: CJK ideographs, kana, Hangul syllables and
/// CJK punctuation (UAX #14 classes ID and the like, simplified).
fn breaks_anywhere(c: char) -> bool {
    matches!(
        c,
        '\u{1100}'..='\u{11FF}'
            | '\u{2E80}'..='\u{2FFF}'
            | '\u{3000}'..='\u{30FF}'
            | '\u{3130}'..='\u{318F}'
            | '\u{31C0}'..='\u{9FFF}'
            | '\u{AC00}'..='\u{D7AF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FF00}'..='\u{FFEF}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// `text` cut at its break opportunities: each piece ends with the spaces
/// after a word, or is one CJK cluster.
fn break_pieces(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut after_space = false;
    let mut previous_anywhere = false;
    for (offset, cluster) in text.grapheme_indices(true) {
        let space = cluster.chars().all(char::is_whitespace);
        let anywhere = cluster.chars().next().is_some_and(breaks_anywhere);
        let may_break =
            offset > start && ((after_space && !space) || anywhere || previous_anywhere);
        if may_break && !space {
            pieces.push(&text[start..offset]);
            start = offset;
        }
        after_space = space;
        previous_anywhere = anywhere;
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain a Debian machine with `make tools` has: DejaVu, Noto, Symbola.
    fn book() -> FontBook {
        FontBook::with_system_fonts(None).unwrap()
    }

    #[test]
    fn every_required_script_finds_a_font() {
        let book = book();
        let typesetter = Typesetter::new(&book);
        for text in [
            "Latin Ää",
            "Ελληνικά",
            "Кириллица",
            "株式会社サンプル",
            "한국어",
            "中文",
            "שולחן",
            "طاولة",
            "नमस्ते",
            "สวัสดี",
            "🚀",
        ] {
            let line = typesetter.line(text, 9.0, Weight::Regular);
            assert!(
                !line.text().contains("[U+"),
                "{text} has no font (install fonts-noto-core, fonts-noto-cjk, fonts-symbola)"
            );
            assert!(
                line.runs
                    .iter()
                    .all(|run| run.glyphs.iter().all(|g| g.glyph_id.to_u32() != 0)),
                "{text}: a .notdef box"
            );
            let bold = typesetter.line(text, 9.0, Weight::Bold);
            assert!(!bold.text().contains("[U+"), "{text} in bold");
        }
    }

    #[test]
    fn a_character_no_font_has_is_shown_as_its_code_point() {
        let book = FontBook::embedded();
        let line = Typesetter::new(&book).line("Rocket 🚀!", 9.0, Weight::Regular);
        assert_eq!(line.text(), "Rocket [U+1F680]!");
    }

    #[test]
    fn hebrew_runs_right_to_left_inside_left_to_right_text() {
        let book = book();
        let line = Typesetter::new(&book).line("Desk שולחן עבודה, oak", 9.0, Weight::Regular);
        let hebrew = line
            .runs
            .iter()
            .find(|run| run.text.contains('ש'))
            .expect("a Hebrew run");
        // Visual order: the first glyph drawn (leftmost) is the last letter read.
        let first = &hebrew.glyphs[0];
        let last = hebrew.glyphs.last().unwrap();
        assert!(
            first.text_range.start > last.text_range.start,
            "{:?}",
            hebrew
                .glyphs
                .iter()
                .map(|g| g.text_range.clone())
                .collect::<Vec<_>>()
        );
        // "Desk" is drawn before (left of) the Hebrew, "oak" after it.
        let order: Vec<&str> = line.runs.iter().map(|run| run.text.trim()).collect();
        assert_eq!(order.first(), Some(&"Desk"), "{order:?}");
        assert!(order.last().unwrap().ends_with("oak"), "{order:?}");
    }

    #[test]
    fn arabic_letters_join() {
        let book = book();
        let typesetter = Typesetter::new(&book);
        // Each letter alone takes its isolated form; in a word, its joining forms.
        let word = typesetter.line("سلم", 9.0, Weight::Regular);
        let glyphs: Vec<u32> = word
            .runs
            .iter()
            .flat_map(|run| run.glyphs.iter().map(|g| g.glyph_id.to_u32()))
            .collect();
        let alone: Vec<u32> = ["م", "ل", "س"]
            .iter()
            .map(|letter| {
                typesetter.line(letter, 9.0, Weight::Regular).runs[0].glyphs[0]
                    .glyph_id
                    .to_u32()
            })
            .collect();
        assert_eq!(glyphs.len(), 3);
        assert_ne!(glyphs, alone, "joined forms differ from isolated ones");
    }

    #[test]
    fn mixed_scripts_switch_fonts_without_losing_text() {
        let book = book();
        let line = Typesetter::new(&book).line("a你b好c", 9.0, Weight::Regular);
        assert_eq!(line.text(), "a你b好c");
        let fonts: Vec<usize> = line.runs.iter().map(|run| run.font).collect();
        assert_eq!(fonts.len(), 5, "{fonts:?}");
        assert_ne!(fonts[0], fonts[1]);
        assert_eq!(fonts[0], fonts[2]);
    }

    #[test]
    fn text_wraps_within_its_box_at_spaces_beside_cjk_and_inside_long_words() {
        let book = book();
        let typesetter = Typesetter::new(&book);
        let text = format!(
            "Σύντομη γραμμή\n{}\n{}\nשולחן עבודה גדול מאוד מעץ אלון",
            "Длинноеслово".repeat(10),
            "株式会社サンプル".repeat(6)
        );
        let lines = typesetter.wrap(&text, 9.0, Weight::Regular, 120.0);
        assert_eq!(lines[0].text(), "Σύντομη γραμμή", "paragraphs stay apart");
        assert!(lines.len() > 6);
        for line in &lines {
            assert!(
                line.width <= 120.0,
                "{} is {} wide",
                line.text(),
                line.width
            );
        }
        let all: String = lines.iter().map(Line::text).collect();
        for part in ["Длинноеслово".repeat(10), "株式会社サンプル".repeat(6)] {
            assert!(all.contains(&part), "nothing is lost");
        }
        assert_eq!(
            typesetter.wrap("", 9.0, Weight::Regular, 100.0).len(),
            1,
            "an empty text is one empty line"
        );
    }

    /// Inputs from an attack on the renderer (2026-11-30): each once
    /// panicked, overflowed its box, drew an empty box or took a minute.
    #[test]
    fn hostile_text_neither_panics_nor_overflows_nor_draws_empty_boxes() {
        let book = book();
        let typesetter = Typesetter::new(&book);
        // 256 vowel signs on one consonant made the Indic shaper panic.
        let stack = format!("क{}", "ा".repeat(256));
        let line = typesetter.line(&stack, 9.0, Weight::Regular);
        assert!(line.width > 0.0);
        assert!(
            line.text().chars().count() <= MAX_CLUSTER_CHARS,
            "clusters are cut"
        );
        // U+FFFF maps to glyph 0 in DejaVu: a box, unless refused.
        let line = typesetter.line("x\u{FFFF}y", 9.0, Weight::Regular);
        assert_eq!(line.text(), "x[U+FFFF]y");
        // One cluster wider than its box (Hangul jamo, an emoji ZWJ chain)
        // is broken between its characters.
        let jamo = format!("{}{}{}", "ᄀ".repeat(150), "ᅡ".repeat(150), "ᆨ".repeat(150));
        let family = vec!["👨"; 300].join("\u{200D}");
        for text in [jamo.as_str(), family.as_str()] {
            for line in typesetter.wrap(text, 9.0, Weight::Regular, 80.0) {
                assert!(line.width <= 80.0, "{} wide", line.width);
            }
        }
        // Thousands of zero-width break opportunities (53 s per PDF when
        // wrapping was quadratic; `make bench` times the PDF).
        let zero_width = "\u{200B}\u{302A}".repeat(2500);
        let lines = typesetter.wrap(&zero_width, 9.0, Weight::Regular, 200.0);
        assert!(!lines.is_empty());
        // Stacked marks raise the line's ascent, so the next line moves down.
        let marks = typesetter.line(&format!("e{}", "\u{0301}".repeat(20)), 9.0, Weight::Regular);
        let plain = typesetter.line("e", 9.0, Weight::Regular);
        let reach = |line: &Line| {
            line.runs
                .iter()
                .map(|run| run.ascent)
                .fold(0.0f32, f32::max)
        };
        assert!(reach(&marks) > reach(&plain));
    }
}
