//! What the matrix came to, for people: the answers allowed cells got, and
//! tables of the cells that disagree with the oracle — failing, or marked as
//! known holes.

use std::fmt::Write as _;

use super::rows::Row;
use super::{Cell, Expect};

/// Per row, what the allowed cells were answered (with --nocapture): the
/// evidence that an allowed request was authorised and then succeeded or was
/// harmlessly refused, not refused for a fixture's mistake.
pub fn answers_when_allowed(rows: &[Row], cells: &[Cell]) -> String {
    let mut out = String::from("answers to allowed cells, per row:\n");
    for (index, row) in rows.iter().enumerate() {
        let mut codes: Vec<String> = cells
            .iter()
            .filter(|cell| cell.row == index && cell.expected == Expect::Allowed)
            .map(|cell| format!("{:?}", cell.got.code))
            .collect();
        codes.sort();
        let mut counted: Vec<String> = Vec::new();
        for code in &codes {
            let n = codes.iter().filter(|c| *c == code).count();
            let entry = format!("{code}×{n}");
            if !counted.contains(&entry) {
                counted.push(entry);
            }
        }
        let _ = writeln!(
            out,
            "  {:<44} {}",
            format!("{}.{}", short(row.service), row.label()),
            counted.join(" ")
        );
    }
    out
}

/// The mismatches, as tables: those that fail the test, and those of rows
/// marked as known holes (printed only), and known holes no longer seen.
pub struct Report {
    pub failing: String,
    pub known: String,
}

impl Report {
    pub fn new(rows: &[Row], cells: &[Cell]) -> Report {
        let mut mismatched: Vec<&Cell> = cells
            .iter()
            .filter(|cell| !cell.expected.met_by(&cell.got))
            .collect();
        mismatched.sort_by(|a, b| (a.row, &a.caller, a.target).cmp(&(b.row, &b.caller, b.target)));
        let (known, failing): (Vec<&Cell>, Vec<&Cell>) = mismatched
            .into_iter()
            .partition(|cell| rows[cell.row].known_hole.is_some());
        let mut known_text = table(
            "known holes (marked on their rows; not failing)",
            rows,
            &known,
        );
        for (index, row) in rows.iter().enumerate() {
            if let Some(why) = row.known_hole
                && !known.iter().any(|cell| cell.row == index)
            {
                let _ = writeln!(
                    known_text,
                    "known hole no longer seen — remove the mark: {} ({why})",
                    row.label()
                );
            }
        }
        Report {
            failing: table("cells that disagree with SPEC", rows, &failing),
            known: known_text,
        }
    }
}

fn table(title: &str, rows: &[Row], cells: &[&Cell]) -> String {
    if cells.is_empty() {
        return String::new();
    }
    let mut out = format!("{title}: {}\n", cells.len());
    let _ = writeln!(
        out,
        "  {:<44} {:<22} {:<11} {:<18} got",
        "method", "caller", "target", "expected"
    );
    for cell in cells {
        let row = &rows[cell.row];
        let mut detail: String = cell.got.detail.chars().take(110).collect();
        if let Some(why) = row.known_hole {
            detail = format!("{detail} [known hole: {why}]");
        }
        let _ = writeln!(
            out,
            "  {:<44} {:<22} {:<11} {:<18} {:?}: {}",
            format!("{}.{}", short(row.service), row.label()),
            cell.caller,
            cell.target,
            cell.expected.describe(),
            cell.got.code,
            detail
        );
    }
    out
}

/// `LedgerService` for `relief.ledger.v1.LedgerService`.
fn short(service: &str) -> &str {
    service.rsplit('.').next().unwrap_or(service)
}
