//! The demo funds: this year's relief budget from party dues and the relief
//! standards, set through the gateway by the finance user.

use relief_proto::common::v1::Money;
use tonic::transport::Channel;

use super::Client;

/// This year's budget and relief standards, set by the finance user.
pub(super) async fn load_funds(gateway: Channel, token: String) -> anyhow::Result<()> {
    use relief_proto::funds::v1 as funds;
    let mut client = Client {
        inner: funds::funds_service_client::FundsServiceClient::new(gateway),
        token,
        counter: 1000,
    };
    let year = relief_runtime::time::today().year();
    let request_id = client.request_id();
    let request = client.request(funds::SetBudgetRequest {
        request_id,
        year,
        amount: Some(Money { fen: 20_000_000 }),
        reason: "年度党费救助预算（演示）".to_owned(),
    })?;
    client.inner.set_budget(request).await?;
    use relief_proto::common::v1::HardshipCategory as C;
    let one_time = [
        (C::MinimumLivingGuarantee, 200_000),
        (C::MajorDisaster, 300_000),
        (C::MajorAccident, 300_000),
        (C::MajorIllness, 300_000),
        (C::Other, 100_000),
    ];
    for (category, fen) in one_time {
        for (relief_type, amount) in [
            (relief_proto::common::v1::ReliefType::OneTimeRelief, fen),
            (
                relief_proto::common::v1::ReliefType::SpringFestivalVisit,
                50_000,
            ),
        ] {
            let request_id = client.request_id();
            let request = client.request(funds::PutReliefStandardRequest {
                request_id,
                standard: Some(funds::ReliefStandard {
                    year,
                    relief_type: relief_type as i32,
                    hardship_category: category as i32,
                    amount: Some(Money { fen: amount }),
                    note: "演示标准".to_owned(),
                    ..Default::default()
                }),
                reason: "工委会议确定的年度救助标准（演示）".to_owned(),
            })?;
            client.inner.put_relief_standard(request).await?;
        }
    }
    Ok(())
}
