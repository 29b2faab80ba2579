"""Progression plan: findings from results → phased exercises with doses and criteria."""
