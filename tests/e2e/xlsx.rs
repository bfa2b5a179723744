//! Reading the services' forms back with an independent .xlsx reader
//! (calamine): the download, its sheets as text, and the raw cells.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

/// A downloaded file: its name and bytes.
pub async fn download(
    stream: tonic::Streaming<relief_proto::common::v1::FileChunk>,
) -> (String, Vec<u8>) {
    let mut stream = stream;
    let mut name = String::new();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await.expect("chunk") {
        if name.is_empty() {
            name = chunk.file_name.clone();
            assert_eq!(
                chunk.content_type,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            );
        }
        bytes.extend(chunk.data);
    }
    (name, bytes)
}

/// Every cell of sheet `index`, as calamine reads it.
pub fn cells(bytes: &[u8], index: usize) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a real .xlsx");
    let name = workbook.sheet_names()[index].clone();
    let range = workbook.worksheet_range(&name).expect("the sheet");
    range.rows().map(|cells| cells.to_vec()).collect()
}

/// The names of the sheets.
pub fn sheet_names(bytes: &[u8]) -> Vec<String> {
    let workbook: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a real .xlsx");
    workbook.sheet_names().to_vec()
}

/// Sheet `index` as text: numbers with two decimals.
pub fn sheet_at(bytes: &[u8], index: usize) -> Vec<Vec<String>> {
    cells(bytes, index)
        .into_iter()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::Float(value) => format!("{value:.2}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The first sheet as text.
pub fn sheet(bytes: Vec<u8>) -> Vec<Vec<String>> {
    sheet_at(&bytes, 0)
}

/// The column under `heading` in the headings row (the third) of a form.
pub fn column(rows: &[Vec<String>], heading: &str) -> usize {
    rows[2]
        .iter()
        .position(|h| h == heading)
        .unwrap_or_else(|| panic!("no heading {heading}: {:?}", rows[2]))
}

/// The data rows of a form: those numbered in 序号.
pub fn data_rows(rows: &[Vec<String>]) -> Vec<&Vec<String>> {
    rows.iter()
        .skip(3)
        .filter(|r| r[0].parse::<f64>().is_ok())
        .collect()
}

/// How many rows are numbered as entries.
pub fn numbered(rows: &[Vec<String>]) -> usize {
    data_rows(rows).len()
}
