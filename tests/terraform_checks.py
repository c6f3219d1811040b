"""Checks of a Terraform configuration written by ``chalice package --pkg-format terraform``.

* :data:`DOCUMENTED` - for each resource type chalice emits, the arguments
  and nested blocks the Terraform AWS provider documents (its
  ``website/docs/r/<type>`` pages) and the attributes it exports;
  :func:`undocumented` lists what a configuration uses beyond them.
* :func:`dangling_references` - every ``${...}`` reference and ``depends_on``
  entry names a resource or data source the configuration declares, and an
  attribute that type exports.
* :func:`terraform_validate` - ``terraform init``/``validate`` in a scratch copy,
  with no provider reachable (``-plugin-dir`` of an empty folder: Terraform
  never goes to the registry); the result is classified.
* :func:`checkov_scan` - checkov's ``terraform_json`` parser over the file,
  when the tool venv that ``make test`` builds (``.venv/checkov``) exists.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

META_ARGUMENTS = {'depends_on', 'lifecycle', 'count', 'for_each', 'provider'}


def _spec(required, optional, attributes=(), blocks=None):
    return {'required': set(required), 'optional': set(optional),
            'attributes': set(attributes) | {'id'}, 'blocks': blocks or {}}


# From the provider's argument and attribute references (aws provider 3.61 - 6.x).
DOCUMENTED = {
    'aws_iam_role': _spec(
        {'assume_role_policy'},
        {'name', 'name_prefix', 'description', 'path', 'permissions_boundary',
         'max_session_duration', 'force_detach_policies', 'inline_policy',
         'managed_policy_arns', 'tags'},
        {'arn', 'name', 'unique_id', 'create_date'}),
    'aws_iam_role_policy': _spec({'policy', 'role'}, {'name', 'name_prefix'}, {'name', 'role'}),
    'aws_lambda_function': _spec(
        {'function_name', 'role'},
        {'architectures', 'code_signing_config_arn', 'dead_letter_config', 'description',
         'environment', 'ephemeral_storage', 'file_system_config', 'filename', 'handler',
         'image_config', 'image_uri', 'kms_key_arn', 'layers', 'memory_size',
         'package_type', 'publish', 'reserved_concurrent_executions', 'runtime',
         's3_bucket', 's3_key', 's3_object_version', 'source_code_hash', 'snap_start',
         'tags', 'timeout', 'tracing_config', 'vpc_config'},
        {'arn', 'invoke_arn', 'function_name', 'qualified_arn', 'version'},
        {'environment': {'variables'}, 'ephemeral_storage': {'size'},
         'tracing_config': {'mode'}, 'vpc_config': {'subnet_ids', 'security_group_ids'}}),
    'aws_lambda_layer_version': _spec(
        {'layer_name'},
        {'compatible_architectures', 'compatible_runtimes', 'description', 'filename',
         'license_info', 's3_bucket', 's3_key', 's3_object_version', 'skip_destroy',
         'source_code_hash'},
        {'arn', 'layer_arn', 'version'}),
    'aws_cloudwatch_log_group': _spec(
        set(), {'name', 'name_prefix', 'retention_in_days', 'kms_key_id', 'skip_destroy',
                'tags'}, {'arn', 'name'}),
    'aws_api_gateway_rest_api': _spec(
        {'name'},
        {'api_key_source', 'binary_media_types', 'body', 'description',
         'disable_execute_api_endpoint', 'endpoint_configuration', 'fail_on_warnings',
         'minimum_compression_size', 'parameters', 'policy', 'put_rest_api_mode', 'tags'},
        {'arn', 'body', 'created_date', 'execution_arn', 'root_resource_id'},
        {'endpoint_configuration': {'types', 'vpc_endpoint_ids'}}),
    'aws_api_gateway_deployment': _spec(
        {'rest_api_id'},
        {'description', 'stage_description', 'stage_name', 'triggers', 'variables'},
        {'created_date'}),
    'aws_api_gateway_stage': _spec(
        {'deployment_id', 'rest_api_id', 'stage_name'},
        {'access_log_settings', 'cache_cluster_enabled', 'cache_cluster_size',
         'canary_settings', 'client_certificate_id', 'description',
         'documentation_version', 'variables', 'tags', 'xray_tracing_enabled'},
        {'arn', 'execution_arn', 'invoke_url'}),
    'aws_lambda_permission': _spec(
        {'action', 'function_name', 'principal'},
        {'event_source_token', 'function_url_auth_type', 'qualifier', 'principal_org_id',
         'source_account', 'source_arn', 'statement_id', 'statement_id_prefix'}),
    'aws_cloudwatch_event_rule': _spec(
        set(), {'name', 'name_prefix', 'schedule_expression', 'event_bus_name',
                'event_pattern', 'description', 'role_arn', 'is_enabled', 'state', 'tags'},
        {'arn', 'name'}),
    'aws_cloudwatch_event_target': _spec(
        {'arn', 'rule'}, {'event_bus_name', 'target_id', 'input', 'input_path', 'role_arn',
                          'input_transformer', 'retry_policy', 'dead_letter_config'}),
    'aws_sns_topic_subscription': _spec(
        {'endpoint', 'protocol', 'topic_arn'},
        {'confirmation_timeout_in_minutes', 'delivery_policy', 'endpoint_auto_confirms',
         'filter_policy', 'filter_policy_scope', 'raw_message_delivery', 'redrive_policy',
         'subscription_role_arn'}, {'arn'}),
    'aws_lambda_event_source_mapping': _spec(
        {'function_name'},
        {'batch_size', 'bisect_batch_on_function_error', 'destination_config', 'enabled',
         'event_source_arn', 'filter_criteria', 'function_response_types',
         'maximum_batching_window_in_seconds', 'maximum_record_age_in_seconds',
         'maximum_retry_attempts', 'parallelization_factor', 'queues', 'scaling_config',
         'starting_position', 'starting_position_timestamp', 'topics',
         'tumbling_window_in_seconds'},
        {'uuid', 'function_arn'}, {'scaling_config': {'maximum_concurrency'}}),
    'aws_s3_bucket_notification': _spec(
        {'bucket'}, {'eventbridge', 'lambda_function', 'queue', 'topic'}, set(),
        {'lambda_function': {'id', 'lambda_function_arn', 'events', 'filter_prefix',
                             'filter_suffix'}}),
    'aws_apigatewayv2_api': _spec(
        {'name', 'protocol_type'},
        {'api_key_selection_expression', 'body', 'cors_configuration', 'credentials_arn',
         'description', 'disable_execute_api_endpoint', 'fail_on_warnings', 'route_key',
         'route_selection_expression', 'tags', 'target', 'version'},
        {'api_endpoint', 'arn', 'execution_arn'},
        {'cors_configuration': {'allow_credentials', 'allow_headers', 'allow_methods',
                                'allow_origins', 'expose_headers', 'max_age'}}),
    'aws_apigatewayv2_authorizer': _spec(
        {'api_id', 'authorizer_type', 'name'},
        {'authorizer_credentials_arn', 'authorizer_payload_format_version',
         'authorizer_result_ttl_in_seconds', 'authorizer_uri', 'enable_simple_responses',
         'identity_sources', 'jwt_configuration'},
        set(), {'jwt_configuration': {'audience', 'issuer'}}),
    'aws_apigatewayv2_integration': _spec(
        {'api_id', 'integration_type'},
        {'connection_id', 'connection_type', 'content_handling_strategy', 'credentials_arn',
         'description', 'integration_method', 'integration_subtype', 'integration_uri',
         'passthrough_behavior', 'payload_format_version', 'request_parameters',
         'request_templates', 'response_parameters', 'template_selection_expression',
         'timeout_milliseconds', 'tls_config'}),
    'aws_apigatewayv2_route': _spec(
        {'api_id', 'route_key'},
        {'api_key_required', 'authorization_scopes', 'authorization_type', 'authorizer_id',
         'model_selection_expression', 'operation_name', 'request_models',
         'request_parameter', 'route_response_selection_expression', 'target'}),
    'aws_apigatewayv2_deployment': _spec({'api_id'}, {'description', 'triggers'},
                                         {'auto_deployed'}),
    'aws_apigatewayv2_stage': _spec(
        {'api_id', 'name'},
        {'access_log_settings', 'auto_deploy', 'client_certificate_id',
         'default_route_settings', 'deployment_id', 'description', 'route_settings',
         'stage_variables', 'tags'},
        {'arn', 'execution_arn', 'invoke_url'}),
    'aws_api_gateway_domain_name': _spec(
        {'domain_name'},
        {'certificate_arn', 'certificate_body', 'certificate_chain', 'certificate_name',
         'certificate_private_key', 'endpoint_configuration', 'mutual_tls_authentication',
         'ownership_verification_certificate_arn', 'policy', 'regional_certificate_arn',
         'regional_certificate_name', 'security_policy', 'tags'},
        {'arn', 'certificate_upload_date', 'cloudfront_domain_name', 'cloudfront_zone_id',
         'domain_name_id', 'regional_domain_name', 'regional_zone_id', 'tags_all'},
        {'endpoint_configuration': {'types', 'ip_address_type'},
         'mutual_tls_authentication': {'truststore_uri', 'truststore_version'}}),
    'aws_api_gateway_base_path_mapping': _spec(
        {'api_id', 'domain_name'}, {'base_path', 'domain_name_id', 'stage_name'}),
    'aws_apigatewayv2_domain_name': _spec(
        {'domain_name', 'domain_name_configuration'},
        {'mutual_tls_authentication', 'tags'},
        {'api_mapping_selection_expression', 'arn', 'tags_all'},
        {'domain_name_configuration': {'certificate_arn', 'endpoint_type', 'ip_address_type',
                                       'ownership_verification_certificate_arn',
                                       'security_policy'},
         'mutual_tls_authentication': {'truststore_uri', 'truststore_version'}}),
    'aws_apigatewayv2_api_mapping': _spec(
        {'api_id', 'domain_name', 'stage'}, {'api_mapping_key'}),
}
DATA_ATTRIBUTES = {
    'aws_region': {'name', 'endpoint', 'description'},
    'aws_caller_identity': {'account_id', 'arn', 'user_id'},
    'aws_partition': {'partition', 'dns_suffix', 'reverse_dns_prefix'},
    'null_data_source': {'outputs', 'random'},
}
LIFECYCLE = {'create_before_destroy', 'prevent_destroy', 'ignore_changes'}


def resources(document):
    """``(type, label, arguments)`` for every resource of the configuration."""
    return [(rtype, label, arguments)
            for rtype, by_label in document.get('resource', {}).items()
            for label, arguments in by_label.items()]


def undocumented(document):
    """What the configuration uses that the provider does not document (empty: fine)."""
    problems = []
    for rtype, label, arguments in resources(document):
        spec = DOCUMENTED.get(rtype)
        if spec is None:
            problems.append('%s: resource type not in the table' % rtype)
            continue
        known = spec['required'] | spec['optional'] | META_ARGUMENTS
        for key in sorted(set(arguments) - known):
            problems.append('%s.%s: unknown argument %s' % (rtype, label, key))
        for key in sorted(spec['required'] - set(arguments)):
            problems.append('%s.%s: missing required argument %s' % (rtype, label, key))
        for block, fields in spec['blocks'].items():
            for item in _as_list(arguments.get(block)):
                for key in sorted(set(item) - fields):
                    problems.append('%s.%s: unknown %s.%s' % (rtype, label, block, key))
        for key in sorted(set(arguments.get('lifecycle') or {}) - LIFECYCLE):
            problems.append('%s.%s: unknown lifecycle.%s' % (rtype, label, key))
    return problems


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


_INTERPOLATION = re.compile(r'(?<!\$)\$\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}')
_REFERENCE = re.compile(r'(?<![\w.-])((?:data\.)?[a-z][a-z0-9_]*)\.([A-Za-z_][\w-]*)'
                        r'(?:\.([a-z_]+))?')


def references(document):
    """Every ``(kind, type, label, attribute)`` the configuration's strings use."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            for expression in _INTERPOLATION.findall(value):
                for string in re.findall(r'"((?:[^"\\]|\\.)*)"', expression):
                    walk(string)
                bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)
                for head, label, attribute in _REFERENCE.findall(bare):
                    if head == 'path':  # path.module
                        continue
                    if head == 'local':
                        found.append(('local', None, label, None))
                    elif head.startswith('data.'):
                        found.append(('data', head[len('data.'):], label, attribute or None))
                    else:
                        found.append(('resource', head, label, attribute or None))

    for section in ('resource', 'output', 'data', 'locals'):
        walk(document.get(section, {}))
    return found


def dangling_references(document):
    """References (and ``depends_on`` entries) to nothing the configuration declares."""
    declared = {('resource', rtype, label) for rtype, label, _ in resources(document)}
    declared |= {('data', dtype, label) for dtype, by_label in document.get('data', {}).items()
                 for label in by_label}
    declared |= {('local', None, name) for name in document.get('locals', {})}
    problems = []
    for kind, rtype, label, attribute in references(document):
        if kind == 'local':
            if (kind, rtype, label) not in declared:
                problems.append('local.%s is not declared' % label)
            continue
        if (kind, rtype, label) not in declared:
            problems.append('%s %s.%s is not declared' % (kind, rtype, label))
            continue
        exported = (DATA_ATTRIBUTES.get(rtype, set()) if kind == 'data' else
                    DOCUMENTED[rtype]['attributes'] | DOCUMENTED[rtype]['required']
                    | DOCUMENTED[rtype]['optional'])
        if attribute is not None and attribute not in exported:
            problems.append('%s.%s has no attribute %s' % (rtype, label, attribute))
    for rtype, label, arguments in resources(document):
        for address in arguments.get('depends_on') or []:
            target_type, _, target_label = address.partition('.')
            if ('resource', target_type, target_label) not in declared:
                problems.append('%s.%s depends on undeclared %s' % (rtype, label, address))
    return problems


def terraform_binary():
    return shutil.which('terraform')


def terraform_validate(directory):
    """``terraform init -backend=false`` and ``validate`` on a copy of ``directory``.

    Returns ``(verdict, errors)``: ``'valid'``, ``'provider unavailable'`` (the
    only errors say a required provider isn't available: the configuration
    itself was read without fault) or ``'configuration error'``; ``errors``
    are the error diagnostics' summaries and details.
    """
    scratch = tempfile.mkdtemp(prefix='chalice-tf-validate-')
    try:
        for name in os.listdir(directory):
            if name.endswith(('.tf', '.tf.json')):
                shutil.copy(os.path.join(directory, name), scratch)
        plugins = os.path.join(scratch, 'no-plugins')
        os.mkdir(plugins)
        env = dict(os.environ, CHECKPOINT_DISABLE='1', TF_IN_AUTOMATION='1',
                   TF_INPUT='0')
        subprocess.run(['terraform', 'init', '-backend=false', '-input=false', '-no-color',
                        '-plugin-dir=%s' % plugins], cwd=scratch, env=env,
                       capture_output=True, timeout=120)
        result = subprocess.run(['terraform', 'validate', '-json', '-no-color'], cwd=scratch,
                                env=env, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report = json.loads(result.stdout)
    errors = [d for d in report.get('diagnostics', []) if d.get('severity') == 'error']
    texts = ['%s: %s' % (d.get('summary'), d.get('detail', '')) for d in errors]
    if report.get('valid'):
        return 'valid', texts
    if errors and all(d.get('summary') == 'Missing required provider'
                      and "provider isn't available" in d.get('detail', '')
                      for d in errors):
        return 'provider unavailable', texts
    return 'configuration error', texts


def checkov_binary():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, '.venv', 'checkov', 'bin', 'checkov')
    return path if os.path.exists(path) else None


def checkov_scan(directory):
    """checkov's report for the Terraform JSON in ``directory`` (offline)."""
    result = subprocess.run(
        [checkov_binary(), '--directory', str(directory), '--framework', 'terraform_json',
         '--output', 'json', '--skip-download', '--compact'],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, BC_SKIP_MAPPING='TRUE', CHECKOV_RUN_SCA_PACKAGE_SCAN_V2='false'))
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report
