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
    /// clusters where one word is wider than the line. Each `\n` starts a
    /// new line; an empty text gives one empty line. Every line keeps the
    /// base direction of its paragraph (UAX #9, rules P2-P3).
    pub fn wrap(&self, text: &str, size: f32, weight: Weight, width: f32) -> Vec<Line> {
        let mut result = Vec::new();
        for paragraph in text.split('\n') {
            let paragraph = self.substitute(&clean(paragraph), weight);
            let level = ParagraphBidiInfo::new(&paragraph, None).paragraph_level;
            let fits = |candidate: &str| {
                self.line_at(candidate.trim_end(), size, weight, Some(level))
                    .width
                    <= width
            };
            let mut lines: Vec<String> = Vec::new();
            let mut current = String::new();
            for piece in break_pieces(&paragraph) {
                let candidate = format!("{current}{piece}");
                if fits(&candidate) {
                    current = candidate;
                    continue;
                }
                if !current.trim().is_empty() {
                    lines.push(std::mem::take(&mut current));
                }
                // Spaces at a break are not carried to the next line.
                let piece = piece.trim_start();
                if fits(piece) {
                    current = piece.to_owned();
                    continue;
                }
                // A word wider than the line: break between clusters.
                current.clear();
                for cluster in piece.graphemes(true) {
                    let candidate = format!("{current}{cluster}");
                    if current.is_empty() || fits(&candidate) {
                        current = candidate;
                    } else {
                        lines.push(std::mem::replace(&mut current, cluster.to_owned()));
                    }
                }
            }
            lines.push(current);
            result.extend(
                lines
                    .iter()
                    .map(|line| self.line_at(line.trim_end(), size, weight, Some(level))),
            );
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
    let output = rustybuzz::shape(&loaded.face, &[], buffer);
    let units = loaded.units_per_em();
    let infos = output.glyph_infos();
    // Each glyph stands for the text from its cluster to the next cluster.
    let mut starts: Vec<usize> = infos.iter().map(|info| info.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let mut width = 0.0;
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
    }
}

fn covers(loaded: &Loaded, cluster: &str) -> bool {
    cluster
        .chars()
        .filter(|c| !is_default_ignorable(*c))
        .all(|c| loaded.face.glyph_index(c).is_some())
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

/// Control characters (tabs, stray line breaks) as spaces.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
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
}
