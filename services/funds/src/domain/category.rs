//! 救助慰问方式 and 困难类别 — the kinds of relief (measures §3) and the
//! categories of hardship (measures §2.1) that allocations, standards and
//! the inspection are counted by.

use relief_proto::common::v1 as common;

use super::Unknown;

/// 救助慰问方式 (measures §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReliefType {
    /// 一次性困难救助.
    OneTimeRelief,
    /// 春节走访慰问.
    SpringFestivalVisit,
}

impl ReliefType {
    pub const ALL: [ReliefType; 2] = [ReliefType::OneTimeRelief, ReliefType::SpringFestivalVisit];

    pub fn from_i32(value: i32) -> Option<Self> {
        match common::ReliefType::try_from(value).ok()? {
            common::ReliefType::Unspecified => None,
            common::ReliefType::OneTimeRelief => Some(ReliefType::OneTimeRelief),
            common::ReliefType::SpringFestivalVisit => Some(ReliefType::SpringFestivalVisit),
        }
    }

    pub fn to_i32(self) -> i32 {
        self.to_proto() as i32
    }

    pub fn to_proto(self) -> common::ReliefType {
        match self {
            ReliefType::OneTimeRelief => common::ReliefType::OneTimeRelief,
            ReliefType::SpringFestivalVisit => common::ReliefType::SpringFestivalVisit,
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            ReliefType::OneTimeRelief => "一次性困难救助",
            ReliefType::SpringFestivalVisit => "春节走访慰问",
        }
    }
}

/// As stored (the proto number).
impl TryFrom<i32> for ReliefType {
    type Error = Unknown;

    fn try_from(value: i32) -> Result<Self, Unknown> {
        ReliefType::from_i32(value).ok_or_else(|| Unknown {
            what: "relief type",
            value: value.to_string(),
        })
    }
}

/// 困难类别 (measures §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HardshipCategory {
    /// 低保.
    MinimumLivingGuarantee,
    /// 重大自然灾害.
    MajorDisaster,
    /// 重大意外事故.
    MajorAccident,
    /// 重大疾病.
    MajorIllness,
    /// 其他.
    Other,
}

impl HardshipCategory {
    pub const ALL: [HardshipCategory; 5] = [
        HardshipCategory::MinimumLivingGuarantee,
        HardshipCategory::MajorDisaster,
        HardshipCategory::MajorAccident,
        HardshipCategory::MajorIllness,
        HardshipCategory::Other,
    ];

    pub fn from_i32(value: i32) -> Option<Self> {
        match common::HardshipCategory::try_from(value).ok()? {
            common::HardshipCategory::Unspecified => None,
            common::HardshipCategory::MinimumLivingGuarantee => {
                Some(HardshipCategory::MinimumLivingGuarantee)
            }
            common::HardshipCategory::MajorDisaster => Some(HardshipCategory::MajorDisaster),
            common::HardshipCategory::MajorAccident => Some(HardshipCategory::MajorAccident),
            common::HardshipCategory::MajorIllness => Some(HardshipCategory::MajorIllness),
            common::HardshipCategory::Other => Some(HardshipCategory::Other),
        }
    }

    pub fn to_i32(self) -> i32 {
        self.to_proto() as i32
    }

    pub fn to_proto(self) -> common::HardshipCategory {
        match self {
            HardshipCategory::MinimumLivingGuarantee => {
                common::HardshipCategory::MinimumLivingGuarantee
            }
            HardshipCategory::MajorDisaster => common::HardshipCategory::MajorDisaster,
            HardshipCategory::MajorAccident => common::HardshipCategory::MajorAccident,
            HardshipCategory::MajorIllness => common::HardshipCategory::MajorIllness,
            HardshipCategory::Other => common::HardshipCategory::Other,
        }
    }

    pub fn chinese(self) -> &'static str {
        match self {
            HardshipCategory::MinimumLivingGuarantee => "低保",
            HardshipCategory::MajorDisaster => "重大自然灾害",
            HardshipCategory::MajorAccident => "重大意外事故",
            HardshipCategory::MajorIllness => "重大疾病",
            HardshipCategory::Other => "其他",
        }
    }
}

/// As stored (the proto number).
impl TryFrom<i32> for HardshipCategory {
    type Error = Unknown;

    fn try_from(value: i32) -> Result<Self, Unknown> {
        HardshipCategory::from_i32(value).ok_or_else(|| Unknown {
            what: "hardship category",
            value: value.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for kind in ReliefType::ALL {
            assert_eq!(ReliefType::from_i32(kind.to_i32()), Some(kind));
        }
        for category in HardshipCategory::ALL {
            assert_eq!(
                HardshipCategory::from_i32(category.to_i32()),
                Some(category)
            );
        }
        assert_eq!(ReliefType::from_i32(0), None);
        assert_eq!(HardshipCategory::from_i32(9), None);
    }
}
