//! "Did you mean": the closest known word to a misspelt one. A leaf: every stage that reports
//! an unknown name (syntax, the checker, `--set`) asks here.

/// The closest candidate to `word`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        if candidate == word {
            continue;
        }
        let score = strsim::jaro_winkler(word, candidate);
        let close =
            strsim::levenshtein(word, candidate) <= (word.len().max(3) / 3).max(1) || score > 0.88;
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["high_429s", "slow_provider", "baseline"];
        assert_eq!(did_you_mean("hgh_429s", names), Some("high_429s"));
        assert_eq!(did_you_mean("basline", names), Some("baseline"));
        assert_eq!(did_you_mean("zzz", names), None);
    }
}
