//! 公示内容 — the public line of a notice (measures §四.2): enough for the
//! unit to know whom the branch proposes and why — name, age, when they
//! joined the party, household size, monthly income per head, the hardship
//! in a phrase — and nothing private: never a diagnosis, never an ID number,
//! never the applicant's own words.

use relief_proto::common::v1::HardshipCategory;

/// The hardship in a phrase, by category only.
pub fn hardship_phrase(category: HardshipCategory) -> &'static str {
    match category {
        HardshipCategory::MinimumLivingGuarantee => "享受城乡最低生活保障",
        HardshipCategory::MajorDisaster => "遭遇重大自然灾害",
        HardshipCategory::MajorAccident => "遭遇重大意外事故",
        HardshipCategory::MajorIllness => "本人或家庭成员患重大疾病",
        HardshipCategory::Other | HardshipCategory::Unspecified => "因其他原因生活困难",
    }
}

/// What the default line is made of.
pub struct NoticeFacts<'a> {
    pub name: &'a str,
    /// Age in whole years, if the birth year is known.
    pub age: Option<i32>,
    /// 入党时间 as "2001年7月", if known.
    pub joined: Option<String>,
    pub household_size: i32,
    pub monthly_per_capita_fen: i64,
    pub category: HardshipCategory,
}

/// The default public line.
pub fn default_text(facts: &NoticeFacts<'_>) -> String {
    let mut parts = vec![format!("{}同志", facts.name)];
    if let Some(age) = facts.age {
        parts.push(format!("{age}岁"));
    }
    if let Some(joined) = &facts.joined {
        parts.push(format!("{joined}入党"));
    }
    parts.push(format!("家庭人口{}人", facts.household_size));
    parts.push(format!(
        "人均月收入{}.{:02}元",
        facts.monthly_per_capita_fen / 100,
        facts.monthly_per_capita_fen % 100
    ));
    parts.push(format!(
        "{}，拟申请生活困难党员救助",
        hardship_phrase(facts.category)
    ));
    format!("{}。公示期间如有异议，请向党支部反映。", parts.join("，"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_category_never_the_diagnosis() {
        let text = default_text(&NoticeFacts {
            name: "张建国",
            age: Some(61),
            joined: Some("1988年7月".into()),
            household_size: 3,
            monthly_per_capita_fen: 83_333,
            category: HardshipCategory::MajorIllness,
        });
        assert!(
            text.starts_with("张建国同志，61岁，1988年7月入党，家庭人口3人，人均月收入833.33元")
        );
        assert!(text.contains("重大疾病"));
    }
}
