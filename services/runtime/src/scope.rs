//! Which part of the organisation tree a listing covers: the caller's grants
//! for a permission, narrowed to the subtree the request asks about. Paths
//! are materialised (`/1/4/12/`), so a subtree is a path prefix.

use crate::auth::{Caller, Permission, in_subtree};
use crate::error::{Error, Result};

/// The parts of the caller's `scopes` inside the subtree at `path`: the
/// subtree itself when a scope covers it, or the scopes nested inside it.
pub fn narrow_roots(scopes: &[String], path: &str) -> Vec<String> {
    if scopes.iter().any(|scope| in_subtree(path, scope)) {
        return vec![path.to_owned()];
    }
    scopes
        .iter()
        .filter(|scope| in_subtree(scope, path))
        .cloned()
        .collect()
}

/// The subtree roots a listing covers: the caller's grants for `permission`,
/// narrowed to the subtree at `path` when the request names one (`None`:
/// everything the caller may see). `PERMISSION_DENIED` when nothing is left.
pub fn listing_roots(
    caller: &Caller,
    permission: Permission,
    path: Option<&str>,
) -> Result<Vec<String>> {
    let scopes = caller.scopes(permission)?;
    let Some(path) = path else {
        return Ok(scopes);
    };
    let roots = narrow_roots(&scopes, path);
    if roots.is_empty() {
        return Err(Error::PermissionDenied(format!(
            "{permission:?} is not granted on {path}"
        )));
    }
    Ok(roots)
}

/// SQL `LIKE` patterns matching every path in the subtrees at `roots`.
pub fn subtree_patterns(roots: &[String]) -> Vec<String> {
    roots.iter().map(|root| format!("{root}%")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing() {
        let scopes = vec!["/1/4/".to_owned(), "/1/7/".to_owned()];
        assert_eq!(narrow_roots(&scopes, "/1/4/12/"), vec!["/1/4/12/"]);
        assert_eq!(narrow_roots(&scopes, "/1/"), scopes);
        assert!(narrow_roots(&scopes, "/1/9/").is_empty());
        assert_eq!(subtree_patterns(&scopes), vec!["/1/4/%", "/1/7/%"]);
    }
}
