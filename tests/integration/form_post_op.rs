//! The Form Post OP plan: the Basic OP modules again, every authorization response delivered
//! by `response_mode=form_post` (OAuth 2.0 Form Post Response Mode): each test here runs the
//! Basic test of the same name with the harness asking for form_post, and the resident's
//! browser posting the auto-submitted form to the client.

use crate::support::as_form_post_plan;
use crate::{basic_op, request_objects};

#[test]
fn oidcc_server() {
    as_form_post_plan(basic_op::oidcc_server);
}

#[test]
fn oidcc_response_type_missing() {
    as_form_post_plan(basic_op::oidcc_response_type_missing);
}

#[test]
fn oidcc_idtoken_signature() {
    as_form_post_plan(basic_op::oidcc_idtoken_signature);
}

#[test]
fn oidcc_idtoken_unsigned() {
    as_form_post_plan(basic_op::oidcc_idtoken_unsigned);
}

#[test]
fn oidcc_userinfo_get() {
    as_form_post_plan(basic_op::oidcc_userinfo_get);
}

#[test]
fn oidcc_userinfo_post_header() {
    as_form_post_plan(basic_op::oidcc_userinfo_post_header);
}

#[test]
fn oidcc_userinfo_post_body() {
    as_form_post_plan(basic_op::oidcc_userinfo_post_body);
}

#[test]
fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    as_form_post_plan(basic_op::oidcc_ensure_request_without_nonce_succeeds_for_code_flow);
}

#[test]
fn oidcc_scope_profile() {
    as_form_post_plan(basic_op::oidcc_scope_profile);
}

#[test]
fn oidcc_scope_email() {
    as_form_post_plan(basic_op::oidcc_scope_email);
}

#[test]
fn oidcc_scope_address() {
    as_form_post_plan(basic_op::oidcc_scope_address);
}

#[test]
fn oidcc_scope_phone() {
    as_form_post_plan(basic_op::oidcc_scope_phone);
}

#[test]
fn oidcc_scope_all() {
    as_form_post_plan(basic_op::oidcc_scope_all);
}

#[test]
fn oidcc_alternate_happy_flow() {
    as_form_post_plan(basic_op::oidcc_alternate_happy_flow);
}

#[test]
fn oidcc_display_page() {
    as_form_post_plan(basic_op::oidcc_display_page);
}

#[test]
fn oidcc_display_popup() {
    as_form_post_plan(basic_op::oidcc_display_popup);
}

#[test]
fn oidcc_prompt_login() {
    as_form_post_plan(basic_op::oidcc_prompt_login);
}

#[test]
fn oidcc_prompt_none_not_logged_in() {
    as_form_post_plan(basic_op::oidcc_prompt_none_not_logged_in);
}

#[test]
fn oidcc_prompt_none_logged_in() {
    as_form_post_plan(basic_op::oidcc_prompt_none_logged_in);
}

#[test]
fn oidcc_max_age_1() {
    as_form_post_plan(basic_op::oidcc_max_age_1);
}

#[test]
fn oidcc_max_age_10000() {
    as_form_post_plan(basic_op::oidcc_max_age_10000);
}

#[test]
fn oidcc_ensure_request_with_unknown_parameter_succeeds() {
    as_form_post_plan(basic_op::oidcc_ensure_request_with_unknown_parameter_succeeds);
}

#[test]
fn oidcc_id_token_hint() {
    as_form_post_plan(basic_op::oidcc_id_token_hint);
}

#[test]
fn oidcc_login_hint() {
    as_form_post_plan(basic_op::oidcc_login_hint);
}

#[test]
fn oidcc_ui_locales() {
    as_form_post_plan(basic_op::oidcc_ui_locales);
}

#[test]
fn oidcc_claims_locales() {
    as_form_post_plan(basic_op::oidcc_claims_locales);
}

#[test]
fn oidcc_ensure_request_with_acr_values_succeeds() {
    as_form_post_plan(basic_op::oidcc_ensure_request_with_acr_values_succeeds);
}

#[test]
fn oidcc_codereuse() {
    as_form_post_plan(basic_op::oidcc_codereuse);
}

#[test]
fn oidcc_codereuse_30seconds() {
    as_form_post_plan(basic_op::oidcc_codereuse_30seconds);
}

#[test]
fn oidcc_ensure_registered_redirect_uri() {
    as_form_post_plan(basic_op::oidcc_ensure_registered_redirect_uri);
}

#[test]
fn oidcc_ensure_post_request_succeeds() {
    as_form_post_plan(basic_op::oidcc_ensure_post_request_succeeds);
}

#[test]
fn oidcc_server_client_secret_post() {
    as_form_post_plan(basic_op::oidcc_server_client_secret_post);
}

#[test]
fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    as_form_post_plan(request_objects::oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported);
}

#[test]
fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    as_form_post_plan(request_objects::oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported);
}

#[test]
fn oidcc_claims_essential() {
    as_form_post_plan(basic_op::oidcc_claims_essential);
}

#[test]
fn oidcc_ensure_request_object_with_redirect_uri() {
    as_form_post_plan(request_objects::oidcc_ensure_request_object_with_redirect_uri);
}

#[test]
fn oidcc_refresh_token() {
    as_form_post_plan(basic_op::oidcc_refresh_token);
}

#[test]
fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    as_form_post_plan(basic_op::oidcc_ensure_request_with_valid_pkce_succeeds);
}
