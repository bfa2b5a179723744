//! The rules of the relief workflow, without I/O: the path a case takes
//! ([`state`]), what an application and its reviews carry ([`application`],
//! [`household`], [`review`]), which proof each category needs
//! ([`evidence_rules`]), what a proof file must be ([`evidence`]) and the
//! deadlines ([`settings`]).

pub mod announcements;
pub mod application;
pub mod campaign;
pub mod campaign_findings;
pub mod campaign_requests;
pub mod committee;
pub mod evidence;
pub mod evidence_rules;
pub mod holidays;
pub mod household;
pub mod notice;
pub mod notice_text;
pub mod review;
pub mod rules;
pub mod settings;
pub mod state;
