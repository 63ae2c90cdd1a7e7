# The high-risk duties apply on different dates by route (Annex I products later than the
# Annex III areas) and each transparency duty follows from one kind of system: a class
# alone cannot say which obligations apply, so an obligation may name a trigger.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0002_audit_append_only'),
    ]

    operations = [
        migrations.AddField(
            model_name='obligation',
            name='trigger',
            field=models.CharField(blank=True, choices=[('annex_i', 'Annex I product safety'), ('annex_iii', 'Annex III area'), ('art_6_3', 'Annex III area, Art. 6(3) exception claimed'), ('chatbot', 'Interacts with people'), ('synthetic_content', 'Generates synthetic content'), ('deep_fake', 'Deep fakes or public-interest text'), ('emotion_biometric', 'Emotion recognition or biometric categorisation'), ('gpai_model_provider', 'We provide a general-purpose model')], help_text='Applies only when the answers show this; empty for the whole class.', max_length=20),
        ),
        migrations.AlterField(
            model_name='obligation',
            name='risk_class',
            field=models.CharField(blank=True, choices=[('prohibited', 'Prohibited practice'), ('high_risk', 'High risk'), ('limited', 'Limited risk (transparency duties)'), ('minimal', 'Minimal risk')], help_text='Leave empty for general-purpose model duties and for duties of every class but the prohibited one.', max_length=12),
        ),
    ]
