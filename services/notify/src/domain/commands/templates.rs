//! The template requests: reading, listing, changing (field mask, etag, a
//! reason) and previewing, each bad field named.

use std::collections::BTreeMap;

use relief_proto::notify::v1 as pb;
use relief_proto::notify::v1::Channel;
use relief_proto::notify::v1::EventKind;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::pagination::Page;

use super::{MAX_BODY, MAX_SUBJECT, channel, event_kind};
use crate::domain::template;

/// `GetTemplate`: one event kind on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateKey {
    pub kind: EventKind,
    pub channel: Channel,
}

impl TemplateKey {
    fn parse(
        kind: i32,
        channel_value: i32,
        prefix: &str,
        violations: &mut FieldViolations,
    ) -> Option<Self> {
        let kind = event_kind(kind, &format!("{prefix}event_kind"), false, violations);
        let channel = channel(
            channel_value,
            &format!("{prefix}channel"),
            false,
            violations,
        );
        Some(TemplateKey {
            kind: kind?,
            channel: channel?,
        })
    }
}

impl TryFrom<pb::GetTemplateRequest> for TemplateKey {
    type Error = FieldViolations;

    fn try_from(request: pb::GetTemplateRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let key = TemplateKey::parse(request.event_kind, request.channel, "", &mut violations);
        match key {
            Some(key) if violations.is_empty() => Ok(key),
            _ => Err(violations),
        }
    }
}

/// `ListTemplates`.
#[derive(Debug, Clone)]
pub struct TemplateListing {
    pub kind: Option<EventKind>,
    pub channel: Option<Channel>,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListTemplatesRequest> for TemplateListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListTemplatesRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListTemplates", &request, &mut violations);
        let kind = event_kind(request.event_kind, "event_kind", true, &mut violations);
        let channel = channel(request.channel, "channel", true, &mut violations);
        violations.then(|| TemplateListing {
            kind,
            channel,
            page,
        })
    }
}

/// `UpdateTemplate`: the fields of the mask, at the caller's etag.
#[derive(Debug, Clone)]
pub struct TemplateChange {
    pub key: TemplateKey,
    pub version: i64,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub sms_template_code: Option<String>,
    pub enabled: Option<bool>,
    pub reason: String,
}

impl TryFrom<pb::UpdateTemplateRequest> for TemplateChange {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateTemplateRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let template = request.template.unwrap_or_default();
        let key = TemplateKey::parse(
            template.event_kind,
            template.channel,
            "template.",
            &mut violations,
        );
        let version = ids::etag(&template.etag, "template.etag", &mut violations);
        let paths = request
            .update_mask
            .map(|mask| mask.paths)
            .unwrap_or_default();
        violations.check(paths.is_empty(), "update_mask", "name the fields to change");
        let (mut subject, mut body, mut code, mut enabled) = (None, None, None, None);
        for path in &paths {
            match path.as_str() {
                "subject" => {
                    violations.check_line("template.subject", &template.subject, MAX_SUBJECT);
                    for problem in template::check("template.subject", &template.subject) {
                        violations.add(problem.field, problem.description);
                    }
                    subject = Some(template.subject.clone());
                }
                "body" => {
                    violations.check_required_line("template.body", &template.body.replace(['\n', '\t'], " "), MAX_BODY, "required");
                    for problem in template::check("template.body", &template.body) {
                        violations.add(problem.field, problem.description);
                    }
                    body = Some(template.body.clone());
                }
                "sms_template_code" => {
                    violations.check_line("template.sms_template_code", &template.sms_template_code, 50);
                    code = Some(template.sms_template_code.clone());
                }
                "enabled" => enabled = Some(template.enabled),
                other => violations.add(
                    "update_mask",
                    format!("{other} cannot be changed; paths: subject, body, sms_template_code, enabled"),
                ),
            }
        }
        violations.check_required_line(
            "reason",
            &request.reason,
            500,
            "required: why (kept in the audit trail)",
        );
        let (Some(key), Some(version)) = (key, version) else {
            return Err(violations);
        };
        violations.then(|| TemplateChange {
            key,
            version,
            subject,
            body,
            sms_template_code: code,
            enabled,
            reason: request.reason,
        })
    }
}

/// `PreviewTemplate`.
#[derive(Debug, Clone)]
pub struct Preview {
    pub key: TemplateKey,
    pub parameters: BTreeMap<String, String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

impl TryFrom<pb::PreviewTemplateRequest> for Preview {
    type Error = FieldViolations;

    fn try_from(request: pb::PreviewTemplateRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let key = TemplateKey::parse(request.event_kind, request.channel, "", &mut violations);
        for (field, text) in [("subject", &request.subject), ("body", &request.body)] {
            if let Some(text) = text {
                violations.check_text(field, text, MAX_BODY);
                for problem in template::check(field, text) {
                    violations.add(problem.field, problem.description);
                }
            }
        }
        let given: BTreeMap<&String, &String> = request.parameters.iter().collect();
        for (name, value) in given {
            let field = format!("parameters[{name}]");
            if template::is_private(name) {
                violations.add(field, "a private detail (diagnosis, ID number, income) is never sent in a notification");
            } else {
                violations.check_line(&field, value, 500);
            }
        }
        let Some(key) = key else {
            return Err(violations);
        };
        violations.then(|| Preview {
            key,
            parameters: request.parameters.into_iter().collect(),
            subject: request.subject,
            body: request.body,
        })
    }
}
