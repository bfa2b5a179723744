//! The Kubernetes manifests of `deploy/`, checked without a cluster: every YAML
//! file parses, every kustomization names files that exist, and the objects it
//! brings in keep the promises of deploy/README.md (probes, security, resources,
//! ports, selectors, schemas, no secrets where they do not belong, the network
//! policy graph). Needs no database.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

/// The services of the system and their gRPC ports (README, "Services").
const SERVICES: [(&str, i64); 5] = [
    ("gateway", 50050),
    ("ledger", 50051),
    ("workflow", 50052),
    ("funds", 50053),
    ("notify", 50054),
];

/// Who calls whom besides the gateway, which calls everyone (README's picture).
const PEER_CALLS: [(&str, &str); 8] = [
    ("workflow", "ledger"),
    ("workflow", "funds"),
    ("workflow", "notify"),
    ("funds", "ledger"),
    ("funds", "workflow"),
    ("funds", "notify"),
    ("notify", "gateway"),
    ("notify", "ledger"),
];

/// The user id every relief service runs as (distroless `nonroot`).
const SERVICE_UID: i64 = 65532;

/// One YAML document and the file it came from.
struct Doc {
    path: PathBuf,
    yaml: Yaml,
}

impl Doc {
    fn kind(&self) -> &str {
        self.yaml["kind"].as_str().unwrap_or("")
    }

    fn name(&self) -> &str {
        self.yaml["metadata"]["name"].as_str().unwrap_or("")
    }

    /// A workload's pod spec (Deployment, StatefulSet), or BadValue.
    fn pod_spec(&self) -> &Yaml {
        &self.yaml["spec"]["template"]["spec"]
    }

    fn containers(&self) -> &[Yaml] {
        items(&self.pod_spec()["containers"])
    }

    fn is_workload(&self) -> bool {
        matches!(self.kind(), "Deployment" | "StatefulSet")
    }

    /// One of the five relief services (not Postgres, the collector, Jaeger).
    fn is_relief_service(&self) -> bool {
        self.yaml["metadata"]["labels"]["app.kubernetes.io/component"].as_str() == Some("service")
    }
}

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

/// Every `.yaml` file under `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read deploy/") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The documents of one YAML file (multi-document files give several).
fn load(path: &Path) -> Vec<Doc> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not valid YAML: {err}", path.display()))
        .into_iter()
        .map(|yaml| Doc {
            path: path.to_path_buf(),
            yaml,
        })
        .collect()
}

/// Every kustomization.yaml under deploy/, with its directory.
fn kustomizations() -> Vec<(PathBuf, Yaml)> {
    yaml_files(&deploy_dir())
        .into_iter()
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name == "kustomization.yaml")
        })
        .map(|path| {
            let dir = path.parent().expect("a directory").to_path_buf();
            let yaml = load(&path).remove(0).yaml;
            (dir, yaml)
        })
        .collect()
}

/// The Kubernetes objects of deploy/: every document of every file some
/// kustomization lists under `resources:` (patches and config files are not
/// objects). Overlays list only directories, so each object is here once.
fn objects() -> Vec<Doc> {
    let mut docs = Vec::new();
    for (dir, kustomization) in kustomizations() {
        for entry in strings(&kustomization["resources"]) {
            let path = dir.join(entry);
            if path.is_file() {
                docs.extend(load(&path).into_iter().filter(|doc| !doc.yaml.is_null()));
            }
        }
    }
    assert!(
        !docs.is_empty(),
        "no Kubernetes objects found under deploy/"
    );
    docs
}

fn relief_deployments(objects: &[Doc]) -> Vec<&Doc> {
    objects
        .iter()
        .filter(|doc| doc.kind() == "Deployment" && doc.is_relief_service())
        .collect()
}

fn find<'a>(objects: &'a [Doc], kind: &str, name: &str) -> &'a Doc {
    objects
        .iter()
        .find(|doc| doc.kind() == kind && doc.name() == name)
        .unwrap_or_else(|| panic!("no {kind} named {name} in deploy/"))
}

fn items(yaml: &Yaml) -> &[Yaml] {
    yaml.as_vec().map(Vec::as_slice).unwrap_or(&[])
}

fn strings(yaml: &Yaml) -> impl Iterator<Item = &str> {
    items(yaml).iter().filter_map(Yaml::as_str)
}

/// A container's literal environment variable.
fn env<'a>(container: &'a Yaml, name: &str) -> Option<&'a str> {
    items(&container["env"])
        .iter()
        .find(|var| var["name"].as_str() == Some(name))
        .and_then(|var| var["value"].as_str())
}

fn container_ports(container: &Yaml) -> Vec<(Option<&str>, i64)> {
    items(&container["ports"])
        .iter()
        .map(|port| {
            let number = port["containerPort"].as_i64().expect("containerPort");
            (port["name"].as_str(), number)
        })
        .collect()
}

/// A `postgres://user:password@` URL, or an embedded private key.
fn looks_secret(text: &str) -> bool {
    let has_password_url = text
        .match_indices("://")
        .filter(|(at, _)| text[..*at].ends_with("postgres") || text[..*at].ends_with("postgresql"))
        .any(|(at, _)| {
            let authority = text[at + 3..]
                .split(|c: char| c.is_whitespace() || c == '/')
                .next()
                .unwrap_or("");
            authority
                .split_once('@')
                .is_some_and(|(user, _)| user.contains(':'))
        });
    has_password_url || text.contains("PRIVATE KEY")
}

#[test]
fn every_yaml_file_parses() {
    let files = yaml_files(&deploy_dir());
    assert!(
        files.len() > 20,
        "deploy/ has only {} YAML files",
        files.len()
    );
    for path in files {
        for doc in load(&path) {
            assert!(
                doc.yaml.is_hash() || doc.yaml.is_array() || doc.yaml.is_null(),
                "{}: a document that is neither a mapping nor a list",
                doc.path.display()
            );
        }
    }
}

#[test]
fn every_kustomization_names_files_that_exist() {
    for (dir, kustomization) in kustomizations() {
        let at = |entry: &str| format!("{}: {entry}", dir.display());
        for entry in
            strings(&kustomization["resources"]).chain(strings(&kustomization["components"]))
        {
            let path = dir.join(entry);
            assert!(
                path.is_file() || path.join("kustomization.yaml").is_file(),
                "{} names neither a file nor a kustomization",
                at(entry)
            );
        }
        for entry in strings(&kustomization["components"]) {
            let component = load(&dir.join(entry).join("kustomization.yaml")).remove(0);
            assert_eq!(
                component.kind(),
                "Component",
                "{} is not a Component",
                at(entry)
            );
        }
        for patch in items(&kustomization["patches"]) {
            if let Some(path) = patch["path"].as_str() {
                assert!(
                    dir.join(path).is_file(),
                    "patch {} does not exist",
                    at(path)
                );
            }
        }
        for generator in items(&kustomization["configMapGenerator"]) {
            for file in strings(&generator["files"]) {
                let path = file.split_once('=').map_or(file, |(_, path)| path);
                assert!(
                    dir.join(path).is_file(),
                    "config file {} does not exist",
                    at(path)
                );
            }
        }
    }
}

#[test]
fn secrets_are_placeholders_or_files_git_ignores() {
    for (dir, kustomization) in kustomizations() {
        for generator in items(&kustomization["secretGenerator"]) {
            for literal in strings(&generator["literals"]) {
                let (key, value) = literal.split_once('=').expect("key=value");
                assert_eq!(
                    value,
                    "REPLACE_ME",
                    "{}: secret {key} must be a placeholder",
                    dir.display()
                );
            }
            for file in strings(&generator["files"]) {
                let path = file.split_once('=').map_or(file, |(_, path)| path);
                let secrets_dir = dir.join(path).parent().expect("a directory").to_path_buf();
                let ignore =
                    std::fs::read_to_string(secrets_dir.join(".gitignore")).unwrap_or_default();
                assert!(
                    secrets_dir.ends_with("secrets") && ignore.lines().any(|line| line == "*"),
                    "{}: secret file {path} must live in a secrets/ directory that git ignores",
                    dir.display()
                );
            }
        }
    }
}

#[test]
fn each_service_has_its_deployment_service_account_and_port() {
    let objects = objects();
    for (service, port) in SERVICES {
        let deployment = find(&objects, "Deployment", service);
        let pod = deployment.pod_spec();
        assert_eq!(pod["serviceAccountName"].as_str(), Some(service));
        assert_eq!(
            pod["automountServiceAccountToken"].as_bool(),
            Some(false),
            "{service}"
        );
        let account = find(&objects, "ServiceAccount", service);
        assert_eq!(
            account.yaml["automountServiceAccountToken"].as_bool(),
            Some(false),
            "{service}"
        );

        let [container] = deployment.containers() else {
            panic!("{service}: one container per pod");
        };
        assert_eq!(
            container["image"].as_str(),
            Some(format!("relief-{service}").as_str())
        );
        assert!(
            container_ports(container).contains(&(Some("grpc"), port)),
            "{service}: grpc {port}"
        );
        assert_eq!(
            env(container, "RELIEF__GRPC__PORT"),
            Some(port.to_string().as_str())
        );
        assert_eq!(
            env(container, "RELIEF__GRPC__HOST"),
            Some("0.0.0.0"),
            "{service}"
        );
        assert_eq!(env(container, "RELIEF__DATABASE__SCHEMA"), Some(service));

        let grpc_port = items(&find(&objects, "Service", service).yaml["spec"]["ports"])
            .iter()
            .find(|p| p["name"].as_str() == Some("grpc"))
            .unwrap_or_else(|| panic!("Service {service} has no grpc port"));
        assert_eq!(grpc_port["port"].as_i64(), Some(port), "Service {service}");
    }
    assert_eq!(relief_deployments(&objects).len(), SERVICES.len());
}

#[test]
fn every_service_is_probed_over_grpc_on_its_container_port() {
    for deployment in relief_deployments(&objects()) {
        for container in deployment.containers() {
            let ports: Vec<i64> = container_ports(container)
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                let port = container[probe]["grpc"]["port"].as_i64();
                assert!(
                    port.is_some_and(|port| ports.contains(&port)),
                    "{}: {probe} is not a gRPC probe on a container port",
                    deployment.name()
                );
            }
            let health = container["readinessProbe"]["grpc"]["service"]
                .as_str()
                .unwrap_or("");
            assert!(
                health.starts_with("relief.") && health.ends_with("Service"),
                "{}: readiness asks for its own service's health, not {health:?}",
                deployment.name()
            );
        }
    }
}

#[test]
fn every_pod_runs_unprivileged_on_a_read_only_root() {
    for workload in objects().iter().filter(|doc| doc.is_workload()) {
        let name = workload.name();
        let pod = workload.pod_spec();
        assert_eq!(
            pod["automountServiceAccountToken"].as_bool(),
            Some(false),
            "{name}"
        );
        assert_eq!(
            pod["securityContext"]["runAsNonRoot"].as_bool(),
            Some(true),
            "{name}"
        );
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"].as_str(),
            Some("RuntimeDefault"),
            "{name}"
        );
        if workload.is_relief_service() {
            assert_eq!(
                pod["securityContext"]["runAsUser"].as_i64(),
                Some(SERVICE_UID),
                "{name}"
            );
        }
        for container in workload.containers() {
            let security = &container["securityContext"];
            assert_eq!(security["runAsNonRoot"].as_bool(), Some(true), "{name}");
            assert_eq!(
                security["readOnlyRootFilesystem"].as_bool(),
                Some(true),
                "{name}"
            );
            assert_eq!(
                security["allowPrivilegeEscalation"].as_bool(),
                Some(false),
                "{name}"
            );
            assert_eq!(
                security["seccompProfile"]["type"].as_str(),
                Some("RuntimeDefault")
            );
            assert_eq!(
                strings(&security["capabilities"]["drop"]).collect::<Vec<_>>(),
                ["ALL"],
                "{name}: drops every capability"
            );
            if workload.is_relief_service() {
                assert_eq!(security["runAsUser"].as_i64(), Some(SERVICE_UID), "{name}");
            }
        }
    }
}

#[test]
fn every_container_has_an_image_requests_and_limits() {
    for workload in objects().iter().filter(|doc| doc.is_workload()) {
        for container in workload.containers() {
            let name = workload.name();
            assert!(
                container["image"]
                    .as_str()
                    .is_some_and(|image| !image.is_empty()),
                "{name}: no image"
            );
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        !container["resources"][bound][resource].is_badvalue(),
                        "{name}: no {bound}.{resource}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_stopping_service_drains_within_its_grace_period() {
    let common = load(&deploy_dir().join("base/common/kubernetes.yaml"))
        .remove(0)
        .yaml;
    let drain_ms = common["limits"]["drain_ms"]
        .as_i64()
        .expect("limits.drain_ms");
    let timeout_ms = common["limits"]["request_timeout_ms"]
        .as_i64()
        .expect("limits.request_timeout_ms");
    for deployment in relief_deployments(&objects()) {
        let grace_s = deployment.pod_spec()["terminationGracePeriodSeconds"]
            .as_i64()
            .unwrap_or(30);
        assert!(
            grace_s * 1000 >= drain_ms + timeout_ms,
            "{}: {grace_s} s cannot hold a {drain_ms} ms drain and a {timeout_ms} ms call",
            deployment.name()
        );
    }
}

#[test]
fn every_service_selects_pods_and_targets_their_ports() {
    let objects = objects();
    for service in objects.iter().filter(|doc| doc.kind() == "Service") {
        let selector = service.yaml["spec"]["selector"]
            .as_hash()
            .expect("a selector");
        let selected: Vec<&Doc> = objects
            .iter()
            .filter(|doc| doc.is_workload())
            .filter(|workload| {
                let labels = &workload.yaml["spec"]["template"]["metadata"]["labels"];
                selector.iter().all(|(key, value)| {
                    key.as_str()
                        .is_some_and(|key| labels[key].as_str() == value.as_str())
                })
            })
            .collect();
        assert!(
            !selected.is_empty(),
            "Service {} selects no pods",
            service.name()
        );
        for port in items(&service.yaml["spec"]["ports"]) {
            for workload in &selected {
                let declared =
                    workload
                        .containers()
                        .iter()
                        .flat_map(container_ports)
                        .any(|(name, number)| match &port["targetPort"] {
                            Yaml::String(target) => name == Some(target.as_str()),
                            Yaml::Integer(target) => number == *target,
                            _ => Some(number) == port["port"].as_i64(),
                        });
                assert!(
                    declared,
                    "Service {} targets a port {} does not declare",
                    service.name(),
                    workload.name()
                );
            }
        }
    }
}

#[test]
fn no_secret_is_written_into_a_config_map_or_a_manifest() {
    let mut texts: Vec<(String, String)> = Vec::new();
    for (dir, kustomization) in kustomizations() {
        for generator in items(&kustomization["configMapGenerator"]) {
            for file in strings(&generator["files"]) {
                let path = dir.join(file.split_once('=').map_or(file, |(_, path)| path));
                let text = std::fs::read_to_string(&path).expect("config file");
                texts.push((path.display().to_string(), text));
            }
        }
    }
    for path in yaml_files(&deploy_dir()) {
        let text = std::fs::read_to_string(&path).expect("manifest");
        texts.push((path.display().to_string(), text));
    }
    for (path, text) in texts {
        assert!(
            !looks_secret(&text),
            "{path} holds a private key or a database password"
        );
    }
    assert!(looks_secret(
        "url: postgres://relief:hunter2@db:5432/relief"
    ));
    assert!(!looks_secret("BEGIN PUBLIC KEY and postgres://host/db"));
    assert!(!looks_secret(
        "url: postgres://relief@127.0.0.1:5432/relief"
    ));
}

/// `kid` → public key PEM of every trusted key in a service's config file.
fn trusted_keys(path: &Path) -> Vec<(String, String)> {
    let config = load(path).remove(0).yaml;
    items(&config["auth"]["trusted_keys"])
        .iter()
        .map(|key| {
            let issuer = key["issuer"].as_str().expect("issuer");
            let pem = key["public_key_pem"].as_str().expect("public_key_pem");
            (issuer.to_owned(), pem.trim().to_owned())
        })
        .collect()
}

#[test]
fn only_the_dev_overlay_trusts_the_dev_keys() {
    let dev_keys = deploy_dir().join("dev-keys");
    let dev_public = |issuer: &str| {
        let name = if issuer == "relief-gateway" {
            "gateway"
        } else {
            issuer
        };
        std::fs::read_to_string(dev_keys.join(format!("{name}.pub.pem")))
            .unwrap_or_else(|err| panic!("dev-keys/{name}.pub.pem: {err}"))
            .trim()
            .to_owned()
    };
    for (service, _) in SERVICES {
        let dev = deploy_dir().join(format!("overlays/dev/config/{service}.yaml"));
        let keys = trusted_keys(&dev);
        assert_eq!(
            keys[0].0, "relief-gateway",
            "{service} trusts the gateway first"
        );
        for (issuer, pem) in keys {
            assert_eq!(pem, dev_public(&issuer), "dev {service}: key of {issuer}");
        }
        for elsewhere in [
            format!("base/{service}/config.yaml"),
            format!("overlays/production/config/{service}.yaml"),
        ] {
            for (issuer, pem) in trusted_keys(&deploy_dir().join(&elsewhere)) {
                assert_ne!(pem, dev_public(&issuer), "{elsewhere} trusts a dev key");
            }
        }
    }
}

/// The service a NetworkPolicy peer or pod selector names, if it is one.
fn selected_service(selector: &Yaml) -> Option<&str> {
    let name = selector["matchLabels"]["app.kubernetes.io/name"].as_str()?;
    SERVICES
        .iter()
        .map(|(service, _)| *service)
        .find(|service| *service == name)
}

#[test]
fn network_policies_allow_exactly_the_calls_the_services_make() {
    let mut expected: BTreeSet<(&str, &str)> = PEER_CALLS.into_iter().collect();
    for (service, _) in SERVICES.iter().skip(1) {
        expected.insert(("gateway", service));
    }
    let (mut ingress, mut egress, mut tooling) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let tool = |selector: &Yaml| {
        selector["matchLabels"]["app.kubernetes.io/name"]
            .as_str()
            .expect("a pod selected by name")
            .to_owned()
    };
    let objects = objects();
    for policy in objects.iter().filter(|doc| doc.kind() == "NetworkPolicy") {
        let spec = &policy.yaml["spec"];
        let Some(this) = selected_service(&spec["podSelector"]) else {
            continue;
        };
        for rule in items(&spec["ingress"]) {
            for from in items(&rule["from"]) {
                let caller = selected_service(&from["podSelector"]).expect("a service");
                ingress.insert((caller, this));
            }
        }
        for rule in items(&spec["egress"]) {
            for to in items(&rule["to"]) {
                match selected_service(&to["podSelector"]) {
                    Some(callee) => egress.insert((this, callee)),
                    None => tooling.insert((this, tool(&to["podSelector"]))),
                };
            }
        }
    }
    assert_eq!(ingress, expected, "ingress between services");
    assert_eq!(egress, expected, "egress between services");
    // The one tool a service calls: the dev cluster's SMTP catcher, and only notify reaches it.
    assert_eq!(
        tooling.into_iter().collect::<Vec<_>>(),
        [("notify", "mailcatcher".to_owned())],
        "egress to the dev overlay's tools"
    );
    let catcher = find(&objects, "NetworkPolicy", "mailcatcher-ingress");
    let callers: Vec<Option<&str>> = items(&catcher.yaml["spec"]["ingress"])
        .iter()
        .flat_map(|rule| items(&rule["from"]))
        .map(|from| selected_service(&from["podSelector"]))
        .collect();
    assert_eq!(callers, [Some("notify")], "who reaches the SMTP catcher");

    let deny = find(&objects, "NetworkPolicy", "default-deny");
    assert!(
        deny.yaml["spec"]["podSelector"]
            .as_hash()
            .is_some_and(|s| s.is_empty())
    );
    assert_eq!(
        strings(&deny.yaml["spec"]["policyTypes"]).collect::<Vec<_>>(),
        ["Ingress", "Egress"]
    );
}
