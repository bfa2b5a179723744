//! How sensitive values look to someone who may not see them (SPEC §9), the
//! same in every service.

/// `13812345678` → `138****5678`; short numbers keep only their last two digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n >= 11 => format!(
            "{}****{}",
            chars[..3].iter().collect::<String>(),
            chars[n - 4..].iter().collect::<String>()
        ),
        n if n > 2 => format!(
            "{}{}",
            "*".repeat(n - 2),
            chars[n - 2..].iter().collect::<String>()
        ),
        n => "*".repeat(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mobile_and_landline() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("3568222"), "*****22");
        assert_eq!(mask_phone(""), "");
    }
}
