//! A gRPC client that knows nothing of this code — Python's grpcio with
//! server reflection — finds the services, builds messages from the
//! descriptors the server sends, and calls through the gateway.

use relief_tests::GatewayOptions;

use super::Door;

const CLIENT: &str = r#"
import sys, json, grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, json_format

address, token = sys.argv[1], sys.argv[2]
channel = grpc.insecure_channel(address)
stub = reflection_pb2_grpc.ServerReflectionStub(channel)
ask = lambda request: next(stub.ServerReflectionInfo(iter([request])))
services = [s.name for s in ask(reflection_pb2.ServerReflectionRequest(list_services="")).list_services_response.service]

pool, added, files = descriptor_pool.DescriptorPool(), set(), {}
def add(proto):
    if proto.name in added:
        return
    for dependency in proto.dependency:
        if dependency not in files:
            answer = ask(reflection_pb2.ServerReflectionRequest(file_by_filename=dependency))
            for raw in answer.file_descriptor_response.file_descriptor_proto:
                found = descriptor_pb2.FileDescriptorProto.FromString(raw)
                files[found.name] = found
        add(files[dependency])
    pool.Add(proto)
    added.add(proto.name)
answer = ask(reflection_pb2.ServerReflectionRequest(file_containing_symbol="relief.ledger.v1.LedgerService"))
for raw in answer.file_descriptor_response.file_descriptor_proto:
    found = descriptor_pb2.FileDescriptorProto.FromString(raw)
    files[found.name] = found
for proto in list(files.values()):
    add(proto)

method = pool.FindServiceByName("relief.ledger.v1.LedgerService").methods_by_name["ListOrgs"]
Request = message_factory.GetMessageClass(method.input_type)
Response = message_factory.GetMessageClass(method.output_type)
call = channel.unary_unary("/relief.ledger.v1.LedgerService/ListOrgs",
    request_serializer=lambda m: m.SerializeToString(), response_deserializer=Response.FromString)
answer = call(json_format.Parse('{"wholeSubtree": true}', Request()), metadata=[("authorization", "Bearer " + token)])
orgs = [org["name"] for org in json_format.MessageToDict(answer)["orgs"]]
try:
    call(Request(), metadata=[("authorization", "Bearer not-a-token")])
    refused = "OK"
except grpc.RpcError as error:
    refused = error.code().name
print(json.dumps({"services": services, "orgs": orgs, "refused": refused}, ensure_ascii=False))
"#;

#[tokio::test]
async fn a_reflection_based_client_finds_and_calls_the_services_through_the_gateway() {
    let door = Door::new(GatewayOptions::default()).await;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("grpc-client");
    let python = relief_tests::python_with(&dir, &["grpcio==1.76.0", "grpcio-reflection==1.76.0"]);
    let address = door.gateway.addr.to_string();
    let token = door.admin_token.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(["-c", CLIENT, &address, &token])
            .output()
            .expect("running the client")
    })
    .await
    .expect("client task");
    assert!(
        output.status.success(),
        "client failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).expect("client output");
    let services: Vec<&str> = result["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    for service in [
        "relief.gateway.v1.IdentityService",
        "relief.ledger.v1.LedgerService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            services.contains(&service),
            "{service} missing from {services:?}"
        );
    }
    assert!(
        !services.contains(&"relief.workflow.v1.ApplicationService"),
        "only what is served: {services:?}"
    );
    let orgs: Vec<&str> = result["orgs"]
        .as_array()
        .expect("orgs")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(orgs.len(), 4, "{orgs:?}");
    assert!(orgs.contains(&"预算科党支部"));
    assert_eq!(result["refused"], "UNAUTHENTICATED");
}
