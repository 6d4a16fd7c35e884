//! Names from the file made safe as file-system path components (artifact folders, service
//! logs). A leaf: artifacts and the service runner both name files from user names.

/// A name as one path component: letters, digits, `.`, `_` and `-` kept, anything else
/// (spaces, slashes, …) becomes `_`; never empty, `.` or `..`.
pub fn path_component(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().all(|c| c == '.') {
        out = out.replace('.', "_");
        if out.is_empty() {
            out.push('_');
        }
    }
    out
}
