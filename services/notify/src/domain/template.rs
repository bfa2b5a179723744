//! 消息模板 — rendering a template with an event's parameters (MiniJinja,
//! `{{ member_name }}`), and the check that a template names only the
//! placeholders the service knows and never a private detail (SPEC §9: no
//! diagnosis, ID number or income in any message).

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, Value};

/// The placeholders a template may use: what the services publish.
pub const PLACEHOLDERS: [&str; 17] = [
    "org_name",
    "member_name",
    "year",
    "amount",
    "deadline",
    "reason",
    "outcome",
    "festival_date",
    "application_id",
    "allocation_id",
    "disbursement_id",
    "member_id",
    "campaign_id",
    "meeting_number",
    "relief_type",
    "link",
    "recipient_name",
];

/// Words whose placeholders carry what no message may: health, identity
/// numbers, incomes (the check is on the placeholder's name).
const PRIVATE: [&str; 9] = [
    "diagnosis",
    "illness",
    "health",
    "id_number",
    "id_card",
    "identity",
    "income",
    "salary",
    "bank",
];

/// Whether a parameter or placeholder named `name` would carry a private
/// detail.
pub fn is_private(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    PRIVATE.iter().any(|word| name.contains(word))
}

/// A rendered subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
    /// Placeholders the templates use that no parameter filled.
    pub missing: Vec<String>,
}

/// What is wrong with a template's text, per field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub field: &'static str,
    pub description: String,
}

/// Checks one template text: it parses, and uses only known placeholders,
/// none of them private. Every problem is returned.
pub fn check(field: &'static str, source: &str) -> Vec<TemplateProblem> {
    let env = environment();
    let template = match env.template_from_str(source) {
        Ok(template) => template,
        Err(err) => {
            return vec![TemplateProblem {
                field,
                description: format!("not a valid template: {}", err.kind()),
            }];
        }
    };
    let mut problems = Vec::new();
    let used: BTreeSet<String> = template.undeclared_variables(false).into_iter().collect();
    for name in used {
        if is_private(&name) {
            problems.push(TemplateProblem {
                field,
                description: format!(
                    "{{{{ {name} }}}} would carry a private detail (diagnosis, ID number, income); no message may"
                ),
            });
        } else if !PLACEHOLDERS.contains(&name.as_str()) {
            problems.push(TemplateProblem {
                field,
                description: format!(
                    "unknown placeholder {{{{ {name} }}}}; known: {}",
                    PLACEHOLDERS.join(", ")
                ),
            });
        }
    }
    problems
}

/// Renders `subject` and `body` with `parameters` (private ones are never
/// passed in: [`is_private`]). A placeholder without a parameter renders
/// empty and is named in `missing`.
pub fn render(
    subject: &str,
    body: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<Rendered, String> {
    let env = environment();
    let context: BTreeMap<String, Value> = parameters
        .iter()
        .filter(|(name, _)| !is_private(name))
        .map(|(name, value)| (name.clone(), Value::from(value.as_str())))
        .collect();
    let mut missing = BTreeSet::new();
    let mut one = |source: &str| -> Result<String, String> {
        let template = env
            .template_from_str(source)
            .map_err(|err| format!("the template does not parse: {}", err.kind()))?;
        for name in template.undeclared_variables(false) {
            if !context.contains_key(&name) {
                missing.insert(name);
            }
        }
        template
            .render(Value::from(context.clone()))
            .map_err(|err| format!("the template does not render: {}", err.kind()))
    };
    let subject = one(subject)?;
    let body = one(body)?;
    Ok(Rendered {
        subject: subject.trim().to_owned(),
        body: body.trim().to_owned(),
        missing: missing.into_iter().collect(),
    })
}

/// Plain text: no HTML escaping, undefined placeholders empty.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_chinese_template_renders_its_parameters() {
        let rendered = render(
            "待审核：{{ member_name }}的救助申请",
            "{{ org_name }}有一件申请。{% if deadline %}请于{{ deadline }}前办理。{% endif %}",
            &params(&[("member_name", "张三"), ("org_name", "第一党支部")]),
        )
        .expect("renders");
        assert_eq!(rendered.subject, "待审核：张三的救助申请");
        assert_eq!(rendered.body, "第一党支部有一件申请。");
        assert_eq!(rendered.missing, vec!["deadline".to_owned()]);
    }

    #[test]
    fn no_html_escaping_in_plain_text() {
        let rendered =
            render("{{ org_name }}", "x", &params(&[("org_name", "A & B <c>")])).expect("renders");
        assert_eq!(rendered.subject, "A & B <c>");
    }

    #[test]
    fn private_placeholders_and_unknown_ones_are_refused() {
        let problems = check(
            "body",
            "{{ id_number }} {{ diagnosis }} {{ nonsense }} {{ year }}",
        );
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].description.contains("private")
                || problems[1].description.contains("private")
        );
        assert!(check("body", "{{ member_name }}，{{ amount }}").is_empty());
        assert_eq!(check("subject", "{% if %}").len(), 1);
    }

    #[test]
    fn private_parameters_never_reach_the_text() {
        let rendered = render(
            "x",
            "{{ member_name }}{{ household_income }}",
            &params(&[("member_name", "李四"), ("household_income", "12000")]),
        )
        .expect("renders");
        assert_eq!(rendered.body, "李四");
        assert!(is_private("household_income") && is_private("ID_NUMBER"));
        assert!(!is_private("member_name"));
    }
}
