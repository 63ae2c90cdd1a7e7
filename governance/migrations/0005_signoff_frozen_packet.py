# Sign-off documents keep the packet as it stood when the gate closed (a late render task
# must not file later changes) and when their rendering was last queued (the beat
# re-queues renders a lost task left pending).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0004_classification_risks_obligation_trigger'),
    ]

    operations = [
        migrations.AddField(
            model_name='signoffdocument',
            name='html',
            field=models.TextField(blank=True, editable=False, help_text='The packet as it stood when the gate closed.'),
        ),
        migrations.AddField(
            model_name='signoffdocument',
            name='queued_at',
            field=models.DateTimeField(blank=True, help_text='When rendering was last queued.', null=True),
        ),
        migrations.AlterField(
            model_name='signoffdocument',
            name='audit_head',
            field=models.CharField(blank=True, help_text='The audit chain head when the gate closed.', max_length=64),
        ),
    ]
