"""The validation pass: every check a command can make before it builds or calls anything.

``chalice deploy``, ``package``, ``dev plan``/``appgraph``, ``generate-models``
and ``local`` run it (through :meth:`chalice.cli.factory.CLIFactory.create_config_obj`)
right after reading ``.chalice/config.json`` and importing ``app.py``, before
any deployment package is built and before any AWS session or client is
created.  It looks at everything at once and reports every problem it
finds, one line each: what is wrong, where (a config key path such as
``stages.dev.lambda_functions.foo.lambda_timeout``, a command-line option,
or ``app.py:LINE`` and the handler), and what is allowed.

What is checked:

* the config file's keys: type and range (:func:`chalice.config.check_config`),
  then AWS's limits on each value (:data:`KEY_RULES`, :mod:`chalice.limits`),
  ``app_name`` and ``version``, and the stage names;
* the command line: ``--stage``, ``--api-gateway-stage``, ``--connection-timeout``;
* the app: ``app`` is a Chalice object, its routes and function names
  (:func:`chalice.appcheck.check_app`) and every decorator argument
  (:func:`chalice.appcheck.argument_problems`);
* the settings each function of the app resolves to in the chosen stage:
  VPC subnets and security groups together, a role ARN when Chalice does
  not manage the role, the size of the environment, the number of tags,
  the length of the Lambda function names, a PRIVATE endpoint's VPC
  endpoints, and (for commands that build resources) the policy files.
"""
from chalice import limits
from chalice.config import CONFIG_DISPLAY_NAME, FUNCTION_KEYS, check_config
from chalice.errors import ValidationError

CONFIG_VERSIONS = ('2.0', '1.0')
_NAME_RULE = "letters, digits, '-' and '_'"


def _show(value):
    import json

    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _where(path):
    """``Invalid <file>: <path>`` for a key path, ``Invalid <option>:`` for an option."""
    if path.startswith('--'):
        return 'Invalid %s:' % path
    return 'Invalid %s: %s' % (CONFIG_DISPLAY_NAME, path)


class Problems:
    """The lines of one validation pass, in the order found, without repeats."""

    def __init__(self):
        self.lines = []

    def add(self, line):
        if line not in self.lines:
            self.lines.append(line)

    def at(self, path, message):
        self.add('%s %s' % (_where(path), message))

    def raise_if_any(self):
        if self.lines:
            raise ValidationError(self.lines)


# ---------------------------------------------------------------------------
# One key at a time
# ---------------------------------------------------------------------------

def _pattern(regex, allowed):
    def rule(value):
        if isinstance(value, str) and not regex.fullmatch(value):
            yield '', 'must be %s, got %s' % (allowed, _show(value))
    return rule


def _id_list(regex, allowed, maximum, single=False):
    """A list of ids (or, with ``single``, also one id as a string)."""
    def rule(value):
        if single and isinstance(value, str):
            yield from _pattern(regex, allowed)(value)
            return
        if not isinstance(value, list):
            return
        if maximum is not None and len(value) > maximum:
            yield '', 'must list at most %d, got %d' % (maximum, len(value))
        for index, item in enumerate(value):
            if isinstance(item, str) and not regex.fullmatch(item):
                yield '[%d]' % index, 'must be %s, got %s' % (allowed, _show(item))
    return rule


def _environment(value):
    if not isinstance(value, dict):
        return
    for name in value:
        if name in limits.RESERVED_ENV_NAMES:
            yield '.' + name, 'is reserved: Lambda sets it itself; use another name'
        elif not limits.ENV_NAME_RE.fullmatch(name):
            yield '.' + name, ("is not a valid environment variable name: a letter, then one "
                               "or more letters, digits and '_'")


def _tags(value):
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if not 1 <= len(key) <= limits.MAX_TAG_KEY or not limits.TAG_RE.fullmatch(key):
            yield '.' + key, ('is not a valid tag key: 1-%d letters, digits, spaces and '
                              '_ . : / = + - @' % limits.MAX_TAG_KEY)
        elif key.lower().startswith(limits.RESERVED_TAG_PREFIX):
            yield '.' + key, 'is reserved: tag keys starting with "aws:" belong to AWS'
        elif isinstance(item, str) and (len(item) > limits.MAX_TAG_VALUE or
                                        not limits.TAG_RE.fullmatch(item)):
            yield '.' + key, ('must be at most %d letters, digits, spaces and '
                              '_ . : / = + - @, got %s' % (limits.MAX_TAG_VALUE, _show(item)))


def _file_name(value):
    if isinstance(value, str) and not value.strip():
        yield '', 'must be a file name (relative to .chalice), got ""'


_STAGE_NAME = 'an API Gateway stage name: 1-128 %s' % _NAME_RULE

#: key -> rule(value) yielding ``(path suffix, message)`` for each problem.
#: Types and ranges are checked by chalice.config first; a value of the
#: wrong type is skipped here.
KEY_RULES = {
    'api_gateway_stage': _pattern(limits.API_STAGE_NAME_RE, _STAGE_NAME),
    'websocket_api_stage': _pattern(limits.API_STAGE_NAME_RE, _STAGE_NAME),
    'iam_role_arn': _pattern(limits.ROLE_ARN_RE,
                             'an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)'),
    'layers': _id_list(limits.LAYER_VERSION_ARN_RE,
                       'a layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)',
                       limits.MAX_LAYERS),
    'subnet_ids': _id_list(limits.SUBNET_ID_RE, 'a subnet id (subnet-...)',
                           limits.MAX_SUBNETS),
    'security_group_ids': _id_list(limits.SECURITY_GROUP_ID_RE, 'a security group id (sg-...)',
                                   limits.MAX_SECURITY_GROUPS),
    'api_gateway_endpoint_vpce': _id_list(limits.VPC_ENDPOINT_ID_RE,
                                          'a VPC endpoint id (vpce-...)', None, single=True),
    'environment_variables': _environment,
    'tags': _tags,
    'iam_policy_file': _file_name,
    'api_gateway_policy_file': _file_name,
}


def _sections(disk):
    """``(key path prefix, settings, per-function?)`` for every level of the file."""
    levels = [('', disk, False)]
    stages = disk.get('stages')
    for name, stage in (stages.items() if isinstance(stages, dict) else ()):
        if isinstance(stage, dict):
            levels.append(('stages.%s.' % name, stage, False))
    for prefix, section, _ in list(levels):
        functions = section.get('lambda_functions')
        for name, settings in (functions.items() if isinstance(functions, dict) else ()):
            if isinstance(settings, dict):
                levels.append(('%slambda_functions.%s.' % (prefix, name), settings, True))
    return levels


def check_config_file(disk, problems):
    """Check the parsed config file; return its warnings."""
    errors, warnings = check_config(disk)
    for line in errors:
        problems.add(line)
    for prefix, section, per_function in _sections(disk):
        for key, value in section.items():
            rule = KEY_RULES.get(key)
            if value is None or rule is None or (per_function and key not in FUNCTION_KEYS):
                continue
            for suffix, message in rule(value):
                problems.at(prefix + key + suffix, message)
    app_name = disk.get('app_name')
    if app_name is None:
        problems.at('app_name', 'is missing: add "app_name": "<name>" at the top level (it '
                                'starts the name of every AWS resource of the app)')
    elif isinstance(app_name, str) and not limits.FUNCTION_NAME_RE.fullmatch(app_name):
        problems.at('app_name', 'must be %s (it starts every Lambda function name), got %s'
                    % (_NAME_RULE, _show(app_name)))
    version = disk.get('version')
    if isinstance(version, str) and version not in CONFIG_VERSIONS:
        problems.at('version', 'must be "2.0" (the config format this chalice reads), got %s'
                    % _show(version))
    stages = disk.get('stages')
    for name in (stages if isinstance(stages, dict) else ()):
        if not limits.FUNCTION_NAME_RE.fullmatch(name):
            problems.at('stages.' + name, 'is not a valid stage name: use %s (the stage '
                        'name is part of every Lambda function name)' % _NAME_RULE)
    return warnings


def check_options(problems, stage, api_gateway_stage=None, connection_timeout=None):
    """The command-line options the validation pass covers."""
    if not limits.FUNCTION_NAME_RE.fullmatch(stage):
        problems.at('--stage', 'must be %s (the stage name is part of every Lambda function '
                    'name), got %s' % (_NAME_RULE, _show(stage)))
    if api_gateway_stage is not None:
        for _, message in KEY_RULES['api_gateway_stage'](api_gateway_stage):
            problems.at('--api-gateway-stage', message)
    if connection_timeout is not None and connection_timeout < 1:
        problems.at('--connection-timeout', 'must be a number of seconds of at least 1, got %s'
                    % connection_timeout)


# ---------------------------------------------------------------------------
# The app, and the settings its functions resolve to
# ---------------------------------------------------------------------------

def check_project(config, problems, resources=True):
    """Check the app and what its functions resolve to in ``config``'s stage.

    Returns warnings.  ``resources`` is true for the commands that turn the
    app into AWS resources (they also need the policy files).
    """
    from chalice import appcheck
    from chalice.app import Chalice

    app = config.chalice_app
    if not isinstance(app, Chalice):
        problems.add("Invalid app.py: 'app' must be the Chalice application "
                     "(app = Chalice(app_name='...')), got %s" % type(app).__name__)
        return []
    for error in appcheck.find_problems(app):
        problems.add(appcheck.problem_line(error, config.project_dir))
    names = [name for name in appcheck.lambda_function_names(app) if isinstance(name, str)]
    for name in names:
        _check_function(config.scope(config.chalice_stage, name), app, problems, resources)
    if app.routes:
        _check_rest_api(config.scope(config.chalice_stage, 'api_handler'), problems,
                        resources)
    return _unknown_function_warnings(config.config_from_disk, names)


def missing_role_arn(config):
    """The problem of a function whose role Chalice does not manage and nobody names."""
    if config.manage_iam_role or config.iam_role_arn:
        return None
    return '%s is false but no iam_role_arn is set: add "iam_role_arn" (the role the ' \
        'functions run as) or set manage_iam_role to true' % _where(
            config.source_of('manage_iam_role'))


def private_endpoint_problem(config):
    """The problem of a PRIVATE REST API that no VPC endpoint or policy opens.

    An HTTP API has no private endpoints at all; the config check says so.
    """
    if config.api_gateway_endpoint_type != 'PRIVATE' or config.api_gateway_endpoint_vpce or \
            config.api_gateway_policy_file or config.api_gateway_type == 'HTTP':
        return None
    return '%s is PRIVATE but no api_gateway_endpoint_vpce is set: add the VPC endpoint ' \
        'id(s) or an api_gateway_policy_file' % _where(
            config.source_of('api_gateway_endpoint_type'))


def _check_function(config, app, problems, resources):
    from chalice import appcheck
    from chalice.deploy.appgraph import function_name_for, load_policy_file
    from chalice.errors import ConfigError

    name = config.function_name
    subnets, groups = config.subnet_ids, config.security_group_ids
    if bool(subnets) != bool(groups):
        given, missing = ('subnet_ids', 'security_group_ids') if subnets else \
            ('security_group_ids', 'subnet_ids')
        problems.at(config.source_of(given), 'is set but %s is not: a Lambda function in a '
                    'VPC needs both (add %s or remove %s)' % (missing, missing, given))
    problem = missing_role_arn(config)
    if problem is not None:
        problems.add(problem)
    environment = config.environment_variables
    size = sum(len(k.encode('utf-8')) + len(str(v).encode('utf-8'))
               for k, v in environment.items())
    if size > limits.MAX_ENVIRONMENT_BYTES:
        problems.at('environment_variables', 'of function %s in stage %s take %d bytes; Lambda '
                    'allows %d in total (names and values)'
                    % (name, config.chalice_stage, size, limits.MAX_ENVIRONMENT_BYTES))
    tags = config.tags
    if len(tags) > limits.MAX_TAGS:
        problems.at('tags', 'of function %s in stage %s come to %d with the aws-chalice tag; '
                    'Lambda allows %d' % (name, config.chalice_stage, len(tags),
                                          limits.MAX_TAGS))
    app_name = config.app_name
    if isinstance(app_name, str) and limits.FUNCTION_NAME_RE.fullmatch(app_name):
        full = function_name_for(app_name, config.chalice_stage, name)
        if len(full) > limits.MAX_FUNCTION_NAME and name == 'api_handler':
            problems.at('app_name', 'makes the Lambda function name %s (app_name-stage) %d '
                        'characters long; Lambda allows %d: shorten app_name or the stage name'
                        % (full, len(full), limits.MAX_FUNCTION_NAME))
        elif len(full) > limits.MAX_FUNCTION_NAME:
            message = ('the Lambda function name %s (app_name-stage-name) is %d characters '
                       'long; Lambda allows %d: use a shorter name=..., app_name or stage name'
                       % (full, len(full), limits.MAX_FUNCTION_NAME))
            problems.add(appcheck.problem_line(appcheck.AppCheckError(
                message, app.handler_map.get(name), handler=name), config.project_dir))
    if resources and config.manage_iam_role and not config.autogen_policy_enabled:
        try:
            load_policy_file(config.project_dir, config.chalice_stage, config.iam_policy_file)
        except ConfigError as error:
            problems.add(str(error))


def _check_rest_api(config, problems, resources):
    from chalice.deploy.appgraph import load_json_file
    from chalice.errors import ConfigError

    problem = private_endpoint_problem(config)
    if problem is not None:
        problems.add(problem)
    if resources and config.api_gateway_policy_file:
        try:
            load_json_file(config.api_gateway_policy_file_path(), 'api_gateway_policy_file')
        except ConfigError as error:
            problems.add(str(error))


def _unknown_function_warnings(disk, names):
    warnings = []
    for prefix, _, per_function in _sections(disk):
        function = prefix.rstrip('.').rsplit('.', 1)[-1]
        if per_function and function not in names:
            warnings.append('%s in %s names no Lambda function of app.py (its functions: %s); '
                            'its settings are not used.'
                            % (prefix.rstrip('.'), CONFIG_DISPLAY_NAME,
                               ', '.join(names) or 'none'))
    return warnings
