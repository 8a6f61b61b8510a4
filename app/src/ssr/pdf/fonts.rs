//! The fonts documents are drawn with: a fallback chain per weight, so a
//! name in any script finds a font that has its letters.
//!
//! The chain, in order:
//! 1. every font file in the operator's font directory (`LEDGERLOCK_FONT_DIR`),
//!    in file-name order (`*.ttf`, `*.otf`, `*.ttc`, `*.otc`; each face of a
//!    collection), for both weights;
//! 2. DejaVu Sans, shipped in the binary: Latin, Greek, Cyrillic, Armenian,
//!    Georgian, Hebrew, Arabic and most symbols;
//! 3. Noto, found by file name under the system font directories (Debian's
//!    `fonts-noto-core`, `fonts-noto-cjk`): Noto Sans, Hebrew, Arabic,
//!    Devanagari, Thai, Bengali, Tamil, Georgian, Armenian, Ethiopic, CJK;
//! 4. Symbola (Debian's `fonts-symbola`): emoji, drawn in monochrome.
//!
//! A file is read only when a document first needs a character that no
//! earlier font has; it then stays in memory (Noto Sans CJK is about 20 MB).
//! krilla embeds in each PDF only the glyphs that PDF uses (subsetting).

use krilla::text::Font;
use rustybuzz::ttf_parser;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static DEJAVU_REGULAR: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static DEJAVU_BOLD: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Where Debian (and most Linux distributions) install fonts.
pub const SYSTEM_FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts"];

/// The system fonts of the chain: (regular file, bold file, face index in a
/// collection). A missing bold falls back to the regular file.
const SYSTEM_CHAIN: &[(&str, &str, u32)] = &[
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", 0),
    ("NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf", 0),
    ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf", 0),
    (
        "NotoSansDevanagari-Regular.ttf",
        "NotoSansDevanagari-Bold.ttf",
        0,
    ),
    ("NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf", 0),
    ("NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf", 0),
    ("NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf", 0),
    (
        "NotoSansGeorgian-Regular.ttf",
        "NotoSansGeorgian-Bold.ttf",
        0,
    ),
    (
        "NotoSansArmenian-Regular.ttf",
        "NotoSansArmenian-Bold.ttf",
        0,
    ),
    (
        "NotoSansEthiopic-Regular.ttf",
        "NotoSansEthiopic-Bold.ttf",
        0,
    ),
    // Face 0 of the collection is Noto Sans CJK JP: kana and every
    // ideograph of the CJK blocks (Hangul too).
    ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", 0),
    ("NotoSansSymbols-Regular.ttf", "NotoSansSymbols-Bold.ttf", 0),
    (
        "NotoSansSymbols2-Regular.ttf",
        "NotoSansSymbols2-Regular.ttf",
        0,
    ),
    ("Symbola_hint.ttf", "Symbola_hint.ttf", 0),
    ("Symbola.ttf", "Symbola.ttf", 0),
];

/// Regular or bold text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

#[derive(Debug)]
enum Source {
    Embedded(&'static [u8]),
    File { path: PathBuf, index: u32 },
}

/// A font that can shape, measure and be drawn.
pub struct Loaded {
    pub font: Font,
    pub face: rustybuzz::Face<'static>,
}

impl Loaded {
    /// The font's design units per em (the `head` table), as a float.
    pub fn units_per_em(&self) -> f32 {
        f32::from(ttf_parser::Face::units_per_em(&self.face))
    }
}

/// One font of a chain, read on first use.
pub struct Slot {
    source: Source,
    loaded: OnceLock<Option<Loaded>>,
}

impl Slot {
    fn new(source: Source) -> Self {
        Self {
            source,
            loaded: OnceLock::new(),
        }
    }

    /// The font, or `None` when its file cannot be read or parsed (then it
    /// is skipped, and a warning logged once).
    pub fn get(&self) -> Option<&Loaded> {
        self.loaded
            .get_or_init(|| {
                let (bytes, index): (&'static [u8], u32) = match &self.source {
                    Source::Embedded(bytes) => (bytes, 0),
                    Source::File { path, index } => match std::fs::read(path) {
                        // Fonts stay for the life of the process: leaking the
                        // bytes lets the parsed faces borrow them.
                        Ok(bytes) => (Box::leak(bytes.into_boxed_slice()), *index),
                        Err(error) => {
                            tracing::warn!(font = %path.display(), %error, "a PDF font cannot be read");
                            return None;
                        }
                    },
                };
                let loaded = rustybuzz::Face::from_slice(bytes, index).and_then(|face| {
                    Some(Loaded {
                        font: Font::new(bytes.into(), index)?,
                        face,
                    })
                });
                if loaded.is_none() {
                    tracing::warn!(font = ?self.source, "a PDF font cannot be parsed");
                }
                loaded
            })
            .as_ref()
    }
}

/// Both weights' fallback chains.
pub struct FontBook {
    regular: Vec<Slot>,
    bold: Vec<Slot>,
}

impl FontBook {
    /// The chain described in the module documentation. `operator_dir` is
    /// the operator's font directory; `system_dirs` are searched (with
    /// their subdirectories) for the Noto and Symbola files by name.
    ///
    /// # Errors
    /// The operator's directory cannot be read.
    pub fn discover(operator_dir: Option<&Path>, system_dirs: &[&Path]) -> std::io::Result<Self> {
        let mut regular = Vec::new();
        let mut bold = Vec::new();
        if let Some(dir) = operator_dir {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if is_font_file(&path) {
                    files.push(path);
                }
            }
            files.sort();
            for path in files {
                for index in 0..face_count(&path) {
                    regular.push(Slot::new(Source::File {
                        path: path.clone(),
                        index,
                    }));
                    bold.push(Slot::new(Source::File {
                        path: path.clone(),
                        index,
                    }));
                }
            }
        }
        regular.push(Slot::new(Source::Embedded(DEJAVU_REGULAR)));
        bold.push(Slot::new(Source::Embedded(DEJAVU_BOLD)));
        let mut found = std::collections::HashMap::new();
        for dir in system_dirs {
            index_files(dir, &mut found, 0);
        }
        for (regular_name, bold_name, index) in SYSTEM_CHAIN {
            let Some(regular_path) = found.get(*regular_name) else {
                continue;
            };
            let bold_path = found.get(*bold_name).unwrap_or(regular_path);
            regular.push(Slot::new(Source::File {
                path: regular_path.clone(),
                index: *index,
            }));
            bold.push(Slot::new(Source::File {
                path: bold_path.clone(),
                index: *index,
            }));
        }
        Ok(Self { regular, bold })
    }

    /// [`Self::discover`] over [`SYSTEM_FONT_DIRS`].
    ///
    /// # Errors
    /// The operator's directory cannot be read.
    pub fn with_system_fonts(operator_dir: Option<&Path>) -> std::io::Result<Self> {
        let dirs: Vec<&Path> = SYSTEM_FONT_DIRS.iter().map(Path::new).collect();
        Self::discover(operator_dir, &dirs)
    }

    /// Only the fonts shipped in the binary (for tests of the layout).
    pub fn embedded() -> Self {
        Self {
            regular: vec![Slot::new(Source::Embedded(DEJAVU_REGULAR))],
            bold: vec![Slot::new(Source::Embedded(DEJAVU_BOLD))],
        }
    }

    /// The chain for `weight`, first choice first.
    pub fn chain(&self, weight: Weight) -> &[Slot] {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }

    /// The file names of the chain's fonts, for the startup log.
    pub fn describe(&self) -> Vec<String> {
        self.regular
            .iter()
            .map(|slot| match &slot.source {
                Source::Embedded(_) => "DejaVu Sans (built in)".to_owned(),
                Source::File { path, index } => match index {
                    0 => path.display().to_string(),
                    _ => format!("{} #{index}", path.display()),
                },
            })
            .collect()
    }
}

fn is_font_file(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            ["ttf", "otf", "ttc", "otc"]
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        })
}

/// How many faces a font file holds (1 unless it is a collection).
fn face_count(path: &Path) -> u32 {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| ttf_parser::fonts_in_collection(&bytes))
        .unwrap_or(1)
}

/// Records every font file under `dir` by file name (the first found wins);
/// stops 8 directories deep.
fn index_files(dir: &Path, found: &mut std::collections::HashMap<String, PathBuf>, depth: u8) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if depth < 8 {
                index_files(&path, found, depth + 1);
            }
        } else if is_font_file(&path)
            && let Some(name) = path.file_name().and_then(|name| name.to_str())
        {
            found.entry(name.to_owned()).or_insert(path);
        }
    }
}
