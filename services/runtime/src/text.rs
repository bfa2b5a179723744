//! Free text in requests (SPEC §9, issue 8 items 4–5): every text field a
//! request carries has a documented maximum length, counted in characters
//! (Unicode scalar values), and holds no control characters. Both are checked
//! while a request is parsed, so a bad value is refused with a field
//! violation naming the field before anything reaches a log, the audit chain
//! or the database (PostgreSQL cannot store NUL at all).
//!
//! A single-line field (a name, a reason, a filter) refuses every control
//! character; a multi-line field (findings, a description, a comment) also
//! allows line feed, carriage return and tab. Both refuse the bidirectional
//! overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make text
//! read differently from what it holds, and the Unicode line and paragraph
//! separators in single-line fields.
//!
//! The maxima every service uses, so the same kind of field has the same
//! bound everywhere; each field's proto comment names the one it has.

use crate::error::FieldViolations;

/// A person's name, a relation, an occupation: 50 characters.
pub const MAX_NAME: usize = 50;
/// An organisation's or a work unit's name, a login or display name: 100.
pub const MAX_TITLE: usize = 100;
/// An address, a short cause, a reference, a search filter: 200.
pub const MAX_LINE: usize = 200;
/// A reason or comment kept with a change or a read: 500.
pub const MAX_REASON: usize = 500;
/// Prose: a description of a hardship, written findings: 5000.
pub const MAX_PROSE: usize = 5000;

/// Whether a field holds one line or may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// No control character at all.
    One,
    /// Line feed, carriage return and tab allowed; no other control character.
    Many,
}

/// The first character `lines` does not allow in `value`, if any.
pub fn forbidden_char(value: &str, lines: Lines) -> Option<char> {
    value.chars().find(|&c| {
        let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
        let separator = matches!(c, '\u{2028}' | '\u{2029}');
        match lines {
            Lines::One => c.is_control() || bidi || separator,
            Lines::Many => (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || bidi,
        }
    })
}

/// Whether `value` holds a character `lines` does not allow.
pub fn has_forbidden_chars(value: &str, lines: Lines) -> bool {
    forbidden_char(value, lines).is_some()
}

/// What is wrong with `value` as a text field of at most `max_chars`
/// characters, if anything: the description a field violation carries.
pub fn problem(value: &str, max_chars: usize, lines: Lines) -> Option<String> {
    if let Some(c) = forbidden_char(value, lines) {
        return Some(format!(
            "contains a control character (U+{:04X}); not allowed in text",
            u32::from(c)
        ));
    }
    let count = value.chars().count();
    (count > max_chars).then(|| format!("at most {max_chars} characters (has {count})"))
}

impl FieldViolations {
    /// Checks a single-line text field: at most `max_chars` characters and no
    /// control characters. Empty is fine here; a required field says so itself.
    pub fn check_line(&mut self, field: &str, value: &str, max_chars: usize) {
        if let Some(problem) = problem(value, max_chars, Lines::One) {
            self.add(field, problem);
        }
    }

    /// Checks a multi-line text field: at most `max_chars` characters, line
    /// breaks and tabs allowed, no other control characters.
    pub fn check_text(&mut self, field: &str, value: &str, max_chars: usize) {
        if let Some(problem) = problem(value, max_chars, Lines::Many) {
            self.add(field, problem);
        }
    }

    /// Checks a required single-line field: not blank, then as
    /// [`FieldViolations::check_line`]. One violation at most.
    pub fn check_required_line(
        &mut self,
        field: &str,
        value: &str,
        max_chars: usize,
        required: &str,
    ) {
        match problem(value, max_chars, Lines::One) {
            Some(problem) => self.add(field, problem),
            None if value.trim().is_empty() => self.add(field, required),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(violations: &FieldViolations) -> Vec<(String, String)> {
        violations
            .iter()
            .map(|(f, d)| (f.to_owned(), d.to_owned()))
            .collect()
    }

    #[test]
    fn single_line_refuses_every_control_character() {
        for bad in [
            "a\0b",
            "a\nb",
            "a\tb",
            "\u{7f}",
            "\u{85}",
            "x\u{202E}y",
            "\u{2028}",
        ] {
            let mut v = FieldViolations::new();
            v.check_line("reason", bad, 10);
            assert_eq!(fields(&v).len(), 1, "{bad:?}");
            assert_eq!(fields(&v)[0].0, "reason");
            assert!(fields(&v)[0].1.contains("control character"), "{v:?}");
        }
    }

    #[test]
    fn multi_line_allows_line_breaks_and_tabs_only() {
        let mut v = FieldViolations::new();
        v.check_text("findings", "第一行\r\n第二行\t完", 100);
        assert!(v.is_empty());
        v.check_text("findings", "a\0", 100);
        v.check_text("findings", "a\u{1b}[31m", 100);
        v.check_text("findings", "a\u{2067}", 100);
        assert_eq!(fields(&v).len(), 3);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let mut v = FieldViolations::new();
        v.check_line("name", &"张".repeat(50), MAX_NAME);
        assert!(v.is_empty());
        v.check_line("name", &"张".repeat(51), MAX_NAME);
        assert_eq!(
            fields(&v),
            vec![(
                "name".to_owned(),
                "at most 50 characters (has 51)".to_owned()
            )]
        );
    }

    #[test]
    fn a_required_line_names_one_problem() {
        let mut v = FieldViolations::new();
        v.check_required_line("reason", "  ", 10, "required: why");
        v.check_required_line("reason", "\0", 10, "required: why");
        v.check_required_line("reason", "ok", 10, "required: why");
        let found = fields(&v);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1, "required: why");
        assert!(found[1].1.contains("U+0000"));
    }
}
