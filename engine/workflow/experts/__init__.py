"""The avis d'experts of a dossier: inviting an outside expert and revoking the invitation
(`invitations`), what the expert reads and the opinion they give through their link
(`expert_side`), what the staff read of it (`reading`), the deadline's and the reminder's jobs
(`deadlines`), the opinions' pieces jointes (`pieces`), the links' tokens (`tokens`). Who may
do what is in engine/workflow/access/experts.py."""
