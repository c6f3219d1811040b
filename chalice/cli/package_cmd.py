"""``chalice package``: a SAM template or a Terraform configuration and the deployment
package, no AWS calls."""
import click

from chalice.errors import ChaliceError

CFN_ONLY_MESSAGE = ('Terraform format does not support --merge-template, --single-file, '
                    'or --template-format')


@click.command('package')
@click.option('--pkg-format', type=click.Choice(['cloudformation', 'terraform']),
              default='cloudformation', show_default=True,
              help='The infrastructure-as-code format of the output.')
@click.option('--stage', default='dev', show_default=True, help='Name of the Chalice stage.')
@click.option('--single-file', is_flag=True, default=False,
              help='Write OUT as one zip holding the template and the deployment package.')
@click.option('--merge-template', type=click.Path(dir_okay=False), default=None,
              help='A JSON or YAML template deep-merged over the generated one.')
@click.option('--template-format', type=click.Choice(['json', 'yaml']), default=None,
              help='Format of the generated template (default: json).')
@click.option('--profile', help='AWS profile to use (not needed: nothing calls AWS).')
@click.argument('out')
@click.pass_context
def package(ctx, pkg_format, stage, single_file, merge_template, template_format, profile,
            out):
    """Generate a deployment package and a SAM template or Terraform configuration."""
    from chalice.cli.deploy_cmds import _config, _ui

    if pkg_format == 'terraform' and (single_file or merge_template or template_format):
        raise ChaliceError(CFN_ONLY_MESSAGE)
    if profile:
        ctx.obj['factory'].profile = profile
    config = _config(ctx, stage)
    if pkg_format == 'terraform':
        from chalice.deploy import terraform

        terraform.package_app(config, out, _ui(ctx))
        return
    from chalice.deploy.sam import package_app

    package_app(config, out, _ui(ctx), template_format=template_format or 'json',
                merge_template=merge_template, single_file=single_file)
