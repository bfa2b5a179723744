//! Files a service streams back (exports, forms, evidence): one way to cut
//! them into `FileChunk`s, so every download reads the same to a client —
//! the name and the content type in the first chunk, the bytes in order,
//! at most [`CHUNK_BYTES`] a message.

use std::pin::Pin;

use futures::Stream;
use relief_proto::common::v1::FileChunk;
use tonic::Status;

/// Bytes per chunk: well under every client's default message limit (4 MiB).
pub const CHUNK_BYTES: usize = 1024 * 1024;

/// A server-streamed file, as the generated services want it.
pub type FileStream = Pin<Box<dyn Stream<Item = Result<FileChunk, Status>> + Send>>;

/// `content` as a stream of chunks, cut as the client reads; an empty file
/// is one chunk that names it.
pub fn file_stream(file_name: String, content_type: String, content: Vec<u8>) -> FileStream {
    let chunks = content.len().div_ceil(CHUNK_BYTES).max(1);
    Box::pin(futures::stream::iter((0..chunks).map(move |index| {
        let start = index * CHUNK_BYTES;
        let end = (start + CHUNK_BYTES).min(content.len());
        let first = index == 0;
        Ok(FileChunk {
            file_name: if first {
                file_name.clone()
            } else {
                String::new()
            },
            content_type: if first {
                content_type.clone()
            } else {
                String::new()
            },
            data: content[start..end].to_vec(),
        })
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    async fn chunks(content: Vec<u8>) -> Vec<FileChunk> {
        file_stream("表.xlsx".into(), "application/pdf".into(), content)
            .map(|chunk| chunk.expect("a chunk"))
            .collect()
            .await
    }

    #[tokio::test]
    async fn the_first_chunk_names_the_file_and_the_bytes_come_back_whole() {
        let content: Vec<u8> = (0..(CHUNK_BYTES * 2 + 5)).map(|i| i as u8).collect();
        let got = chunks(content.clone()).await;
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].file_name, "表.xlsx");
        assert!(got[1].file_name.is_empty() && got[1].content_type.is_empty());
        let whole: Vec<u8> = got.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(whole, content);
    }

    #[tokio::test]
    async fn an_empty_file_is_one_named_chunk() {
        let got = chunks(Vec::new()).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].content_type, "application/pdf");
    }
}
