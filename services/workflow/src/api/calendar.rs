//! 日历与时限 — the Spring Festival, the holiday calendar and the settings (being built).

use relief_proto::workflow::v1 as pb;
use relief_proto::workflow::v1::calendar_service_server::CalendarService;
use tonic::{Request, Response, Status};

use super::WorkflowApi;

#[tonic::async_trait]
impl CalendarService for WorkflowApi {
    async fn get_spring_festival(
        &self,
        _request: Request<pb::GetSpringFestivalRequest>,
    ) -> Result<Response<pb::SpringFestival>, Status> {
        Err(Status::unimplemented("being built"))
    }
    async fn get_holiday_calendar(
        &self,
        _request: Request<pb::GetHolidayCalendarRequest>,
    ) -> Result<Response<pb::HolidayCalendar>, Status> {
        Err(Status::unimplemented("being built"))
    }
    async fn put_holiday_calendar(
        &self,
        _request: Request<pb::PutHolidayCalendarRequest>,
    ) -> Result<Response<pb::HolidayCalendar>, Status> {
        Err(Status::unimplemented("being built"))
    }
    async fn get_workflow_settings(
        &self,
        _request: Request<pb::GetWorkflowSettingsRequest>,
    ) -> Result<Response<pb::WorkflowSettings>, Status> {
        Err(Status::unimplemented("being built"))
    }
    async fn update_workflow_settings(
        &self,
        _request: Request<pb::UpdateWorkflowSettingsRequest>,
    ) -> Result<Response<pb::WorkflowSettings>, Status> {
        Err(Status::unimplemented("being built"))
    }
}
